/**
 * An incremental compile (compileSnapshot with an IncrementalSource) must answer exactly as a
 * full compile of the same snapshot, for every flag and context, whatever the delta touched:
 * flags, the segments they use, prerequisite chains made broken and whole again.
 */
import { describe, expect, it } from 'vitest';
import type { Segment, Snapshot, SnapshotFlag } from '../model/flag.ts';
import { applyDelta, applyDeltaInSlices, type SnapshotDelta } from '../model/snapshot-delta.ts';
import { compileSnapshot, compileSnapshotInSlices } from './compile-snapshot.ts';
import { makeFlag } from './test-support.ts';

const seg = (key: string, included: string[]): Segment => ({ key, version: 1, included, excluded: [], rules: [] });
const inSeg = (key: string) => [
  { conditions: [{ attribute: '', op: 'inSegment' as const, values: [key] }], serve: { variant: 'on' } },
];

function base(): Snapshot {
  const flags: Record<string, SnapshotFlag> = {};
  for (let i = 0; i < 20; i++) {
    const key = `f${i}`;
    flags[key] =
      i % 3 === 0
        ? makeFlag(key, { rules: inSeg(i % 2 === 0 ? 'even' : 'odd') })
        : makeFlag(key, { defaultRule: { variant: i % 2 === 0 ? 'on' : 'off' } });
  }
  flags.child = makeFlag('child', { prerequisites: [{ flag: 'f1', variant: 'off' }], defaultRule: { variant: 'on' } });
  return {
    environment: 'prod',
    version: 1,
    createdAt: '2026-12-01T00:00:00Z',
    flags,
    segments: { even: seg('even', ['u0', 'u2']), odd: seg('odd', ['u1']) },
  };
}

const contexts = ['u0', 'u1', 'u2', 'u3'].map((targetingKey) => ({ targetingKey }));

function answers(snapshot: Snapshot, engine = compileSnapshot(snapshot)) {
  return Object.keys(snapshot.flags)
    .sort()
    .flatMap((k) =>
      contexts.map((c) => [k, c.targetingKey, engine.evaluate(k, c).variant, engine.evaluate(k, c).reason]),
    );
}

function delta(d: Partial<SnapshotDelta>, from: Snapshot): SnapshotDelta {
  return {
    environment: 'prod',
    base: from.version,
    version: from.version + 1,
    createdAt: 'x',
    flags: {},
    segments: {},
    ...d,
  };
}

describe('incremental compile', () => {
  const cases: Array<[string, (s: Snapshot) => Partial<SnapshotDelta>]> = [
    ['a flag changed', () => ({ flags: { f1: makeFlag('f1', { defaultRule: { variant: 'on' } }) } })],
    ['a segment changed (its users recompiled)', () => ({ segments: { even: seg('even', ['u3']) } })],
    ['a segment removed', () => ({ segments: { odd: null } })],
    ['a flag added and one removed', () => ({ flags: { added: makeFlag('added'), f2: null } })],
    [
      'a prerequisite cycle made and the chain broken',
      () => ({ flags: { f1: makeFlag('f1', { prerequisites: [{ flag: 'child', variant: 'on' }] }) } }),
    ],
    ['a prerequisite removed', () => ({ flags: { f1: null } })],
    // Names Object.prototype has: never mistaken for flags the snapshot holds.
    [
      'flags named constructor and toString added',
      () => ({ flags: { constructor: makeFlag('constructor'), toString: makeFlag('toString') } }),
    ],
  ];
  for (const [name, make] of cases) {
    it(`answers as a full compile: ${name}`, () => {
      const before = base();
      const previous = compileSnapshot(before);
      const d = delta(make(before), before);
      const after = applyDelta(before, d);
      const incremental = compileSnapshot(after, {
        engine: previous,
        changedFlags: Object.keys(d.flags),
        changedSegments: Object.keys(d.segments),
      });
      expect(answers(after, incremental)).toEqual(answers(after));
      expect(incremental.version).toBe(2);
      expect(incremental.flagKeys).toEqual(Object.keys(after.flags).sort());
    });
  }

  it('reuses what did not change: an untouched flag keeps the version it was compiled in', () => {
    const before = base();
    const d = delta({ flags: { f1: makeFlag('f1', { defaultRule: { variant: 'on' } }) } }, before);
    const after = applyDelta(before, d);
    const e = compileSnapshot(after, { engine: compileSnapshot(before), changedFlags: ['f1'], changedSegments: [] });
    expect(e.evaluate('f1', {}).flagMetadata?.snapshotVersion).toBe(2);
    expect(e.evaluate('f4', {}).flagMetadata?.snapshotVersion).toBe(1);
    // ...and the prerequisite's dependent answers from f1's new definition at once.
    expect(e.evaluate('child', {}).reason).toBe('PREREQUISITE_FAILED');
  });

  it('applyDeltaInSlices yields between slices and makes what applyDelta makes', () => {
    const before = base();
    const d = delta(
      { flags: { f1: makeFlag('f1', { defaultRule: { variant: 'on' } }), f2: null, added: makeFlag('added') } },
      before,
    );
    const steps = applyDeltaInSlices(before, d, 5);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    expect(yields).toBe(Math.floor(Object.keys(before.flags).length / 5));
    expect(step.value).toEqual(applyDelta(before, d));
    expect(Object.keys(before.flags)).toContain('f2');
  });

  it('a delta onto another base is refused', () => {
    const before = base();
    expect(() => applyDelta(before, delta({ base: 7, version: 8 }, before))).toThrow(/onto version 7, not 1/);
  });

  it('compiles in slices: yields between slices, and ends with the same engine', () => {
    const s = base();
    const steps = compileSnapshotInSlices(s, undefined, 5);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    expect(yields).toBe(Math.floor(Object.keys(s.flags).length / 5));
    expect(answers(s, step.value)).toEqual(answers(s));
  });
});
