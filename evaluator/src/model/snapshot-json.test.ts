/**
 * snapshotJsonInSlices must give exactly what JSON.stringify gives, yield only for entries it had
 * to serialise, and after an in-place delta serialise only what the delta touched.
 */
import { describe, expect, it } from 'vitest';
import { makeFlag } from '../engine/test-support.ts';
import type { Snapshot, SnapshotFlag } from './flag.ts';
import { applyDeltaInPlace } from './snapshot-delta.ts';
import { snapshotJson, snapshotJsonInSlices } from './snapshot-json.ts';

function big(n: number): Snapshot {
  const flags: Record<string, SnapshotFlag> = {};
  for (let i = 0; i < n; i++) flags[`f-${i}`] = makeFlag(`f-${i}`, { defaultRule: { variant: i % 2 ? 'on' : 'off' } });
  return {
    environment: 'prod',
    version: 3,
    createdAt: '2026-12-03T00:00:00Z',
    flags,
    segments: { beta: { key: 'beta', version: 1, included: ['u"1', 'ü'], excluded: [], rules: [] } },
  };
}

function run(snapshot: Snapshot, sliceSize: number): { json: string; yields: number } {
  const steps = snapshotJsonInSlices(snapshot, sliceSize);
  let yields = 0;
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return { json: step.value, yields };
    yields++;
  }
}

describe('snapshotJsonInSlices', () => {
  it('gives what JSON.stringify gives, quotes and unicode and absent fields included', () => {
    const s = big(30);
    const odd = {
      ...s,
      createdAt: undefined,
      flags: { ...s.flags, 'a"b\\c': makeFlag('a"b\\c') },
    } as unknown as Snapshot;
    expect(snapshotJson(s)).toBe(JSON.stringify(s));
    expect(snapshotJson(odd)).toBe(JSON.stringify(odd));
    expect(snapshotJson({ ...s, flags: {}, segments: {} })).toBe(JSON.stringify({ ...s, flags: {}, segments: {} }));
  });

  it('yields every sliceSize entries it serialises, and not at all for entries it knows', () => {
    const s = big(100);
    const first = run(s, 10);
    expect(first.json).toBe(JSON.stringify(s));
    expect(first.yields).toBe(10); // 101 entries serialised (100 flags + 1 segment)
    expect(run(s, 10)).toEqual({ json: first.json, yields: 0 });
  });

  it('is the snapshot as it was when the build began, whatever changes in place meanwhile', () => {
    const s = big(50);
    const expected = JSON.stringify(s);
    const steps = snapshotJsonInSlices(s, 5);
    steps.next();
    applyDeltaInPlace(s, {
      environment: 'prod',
      base: 3,
      version: 4,
      createdAt: 'x',
      flags: { 'f-49': null },
      segments: { beta: null },
    });
    let step = steps.next();
    while (!step.done) step = steps.next();
    expect(step.value).toBe(expected);
  });

  it('after an in-place delta, serialises only the entries the delta put in', () => {
    const s = big(100);
    run(s, 1);
    const { snapshot } = applyDeltaInPlace(s, {
      environment: 'prod',
      base: 3,
      version: 4,
      createdAt: 'x',
      flags: { 'f-7': makeFlag('f-7', { defaultRule: { variant: 'on' } }), 'f-8': null, added: makeFlag('added') },
      segments: {},
    });
    const again = run(snapshot, 1);
    expect(again.yields).toBe(2);
    expect(again.json).toBe(JSON.stringify(snapshot));
  });
});
