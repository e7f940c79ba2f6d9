import { compileSnapshot, type Snapshot, type SnapshotDelta, type SnapshotFlag } from '@flagship/evaluator';
import { describe, expect, it } from 'vitest';
import { applySdkDelta, deltaBaseEtag, isDeltaDocument, type HeldSnapshot } from './snapshot-delta-apply.ts';
import { deltaChangedFlagKeys, unconfirmedView } from './snapshot-changes.ts';
import { stringFlag } from './test-support/string-flag.ts';

const flag = stringFlag;
const inSegment = (key: string, segment: string): SnapshotFlag =>
  flag(key, 'plain', {
    rules: [{ conditions: [{ attribute: '', op: 'inSegment', values: [segment] }], serve: { variant: 'off' } }],
  });
const v1: Snapshot = {
  environment: 'prod',
  version: 1,
  flags: { a: flag('a', 'a1'), b: flag('b', 'b1'), s: inSegment('s', 'beta') },
  segments: { beta: { key: 'beta', version: 1, included: ['u1'], excluded: [], rules: [] } },
};
// A copy each time: applying a delta hands the held snapshot over and changes it in place.
const held = (from = v1, etag = '"1"', live = true): HeldSnapshot => {
  const snapshot = structuredClone(from);
  return { snapshot, etag, engine: compileSnapshot(live ? snapshot : unconfirmedView(snapshot)), live };
};
const delta = (extra: Partial<SnapshotDelta> = {}): SnapshotDelta => ({
  environment: 'prod',
  base: 1,
  version: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  flags: { a: flag('a', 'a2') },
  segments: {},
  ...extra,
});
const value = (engine: HeldSnapshot['engine'], key: string, targetingKey = 'u0') =>
  engine.evaluate(key, { targetingKey }, 'string').value;

describe('applySdkDelta', () => {
  it('applies a delta onto the held state: the new snapshot, an engine that answers it, the changed keys', () => {
    const h = held();
    const applied = applySdkDelta(h, delta(), '"2"');
    if ('problem' in applied) throw new Error(applied.problem);
    expect(applied.snapshot.version).toBe(2);
    expect(applied.flagKeys).toEqual(['a']);
    expect(value(applied.engine, 'a')).toBe('a2');
    expect(value(applied.engine, 'b')).toBe('b1');
    expect(applied.engine.version).toBe(2);
    // The held state was handed over: the change was made in place, with no copy of the flags.
    expect(applied.snapshot.flags).toBe(h.snapshot.flags);
    expect(v1.flags.a!.variants.on).toBe('a1');
    // The same answers as compiling the new snapshot in full.
    const full = compileSnapshot(applied.snapshot);
    for (const key of ['a', 'b', 's'])
      for (const u of ['u0', 'u1']) expect(value(applied.engine, key, u)).toEqual(value(full, key, u));
  });

  it('a removed flag is gone, and a segment change names the flags that use the segment', () => {
    const applied = applySdkDelta(
      held(),
      delta({
        flags: { b: null },
        segments: { beta: { key: 'beta', version: 2, included: ['u0'], excluded: [], rules: [] } },
      }),
      '"2"',
    );
    if ('problem' in applied) throw new Error(applied.problem);
    expect(applied.flagKeys).toEqual(['b', 's']);
    expect(applied.engine.evaluate('b', {}, 'string').errorCode).toBe('FLAG_NOT_FOUND');
    expect(value(applied.engine, 's', 'u0')).toBe('off');
    expect(value(applied.engine, 's', 'u1')).toBe('plain');
  });

  it('a delta that does not compile is undone: the held snapshot and engine answer as before', () => {
    const h = held();
    const before = structuredClone(h.snapshot);
    const bad = { ...flag('a', 'a2'), rules: null } as unknown as SnapshotDelta['flags'][string];
    const refused = applySdkDelta(h, delta({ flags: { a: bad, b: null } }), '"2"');
    expect(refused).toMatchObject({ problem: expect.stringContaining('cannot be applied') });
    expect(h.snapshot).toEqual(before);
    expect(value(h.engine, 'a')).toBe('a1');
    expect(value(h.engine, 'b')).toBe('b1');
  });

  it('refuses a delta onto another version, another environment, or before any snapshot', () => {
    expect(applySdkDelta(held(), delta({ base: 0, version: 2 }), '"2"')).toEqual({
      problem: 'delta applies onto version 0, not 1',
    });
    expect(applySdkDelta(held(), delta({ environment: 'dev' }), '"2"')).toMatchObject({
      problem: expect.stringContaining('environment'),
    });
    expect(applySdkDelta(undefined, delta(), '"2"')).toMatchObject({ problem: expect.stringContaining('before') });
  });

  it('refuses a delta of a bad shape', () => {
    expect(applySdkDelta(held(), { ...delta(), flags: { a: flag('other', 'x') } }, '"2"')).toMatchObject({
      problem: expect.stringContaining('delta.flags.a'),
    });
    expect(applySdkDelta(held(), { base: 1 }, '"2"')).toMatchObject({ problem: 'delta has no environment' });
    expect(applySdkDelta(held(), { ...delta(), version: 'x' }, '"2"')).toMatchObject({
      problem: 'delta.version is not a version',
    });
  });

  it('refuses a delta whose base state has other kills than the held one (the ETags say so)', () => {
    // Held: version 1 with a kill; the delta joins two states without it.
    expect(applySdkDelta(held(v1, '"1-killed-ab12"'), delta(), '"2"')).toMatchObject({
      problem: expect.stringContaining('ETag "1"'),
    });
    const applied = applySdkDelta(held(v1, '"1-killed-ab12"'), delta(), '"2-killed-ab12"');
    expect('problem' in applied).toBe(false);
  });

  it('onto the unconfirmed view of the file, compiles the new snapshot in full (no fail modes left)', () => {
    const withOff: Snapshot = { ...v1, flags: { ...v1.flags, b: flag('b', 'b1', { failMode: 'off' }) } };
    const h = held(withOff, '"1"', false);
    expect(value(h.engine, 'b')).toBe('off');
    const applied = applySdkDelta(h, delta(), '"2"');
    if ('problem' in applied) throw new Error(applied.problem);
    expect(value(applied.engine, 'b')).toBe('b1');
  });
});

describe('isDeltaDocument and deltaBaseEtag', () => {
  it('tells a delta by its base, and keeps the kills part of the ETag', () => {
    expect(isDeltaDocument(delta())).toBe(true);
    expect(isDeltaDocument(v1)).toBe(false);
    expect(isDeltaDocument(null)).toBe(false);
    expect(deltaBaseEtag('"9"', 9, 4)).toBe('"4"');
    expect(deltaBaseEtag('"9-killed-1f"', 9, 4)).toBe('"4-killed-1f"');
    expect(deltaBaseEtag('"19"', 9, 4)).toBeUndefined();
  });
});

describe('deltaChangedFlagKeys', () => {
  it('names the delta flags, and the flags using a changed segment, sorted', () => {
    expect(deltaChangedFlagKeys({ flags: { b: null, a: null }, segments: {} }, v1)).toEqual(['a', 'b']);
    expect(deltaChangedFlagKeys({ flags: {}, segments: { beta: null } }, v1)).toEqual(['s']);
    expect(deltaChangedFlagKeys({ flags: {}, segments: { other: null } }, v1)).toEqual([]);
  });
});
