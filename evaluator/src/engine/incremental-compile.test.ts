/**
 * An incremental compile (compileSnapshot with an IncrementalSource) must answer exactly as a
 * full compile of the same snapshot, for every flag and context, whatever the delta touched:
 * flags, the segments they use, prerequisite chains made broken and whole again.
 */
import { describe, expect, it } from 'vitest';
import type { Segment, Snapshot, SnapshotFlag } from '../model/flag.ts';
import { applyDelta, applyDeltaInPlace, type SnapshotDelta } from '../model/snapshot-delta.ts';
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

  for (const [name, make] of cases) {
    it(`taking the previous engine over (in place) answers as a full compile: ${name}`, () => {
      const before = base();
      const previous = compileSnapshot(before);
      previous.evaluateAll({}); // its ordered list is built: the new engine carries it over
      const d = delta(make(before), before);
      const expected = applyDelta(before, d);
      const { snapshot: after } = applyDeltaInPlace(before, d);
      expect(after).toEqual(expected);
      const taken = compileSnapshot(after, {
        engine: previous,
        changedFlags: Object.keys(d.flags),
        changedSegments: Object.keys(d.segments),
        takeOver: true,
      });
      const full = compileSnapshot(expected);
      expect(answers(expected, taken)).toEqual(answers(expected, full));
      // (flagMetadata differs by design: an untouched flag keeps the version it was compiled in.)
      const outcome = (rs: ReturnType<typeof full.evaluateAll>) => rs.map((r) => [r.key, r.variant, r.reason, r.value]);
      for (const c of contexts) expect(outcome(taken.evaluateAll(c))).toEqual(outcome(full.evaluateAll(c)));
      expect(taken.flagKeys).toEqual(full.flagKeys);
      expect([...taken.fixedAnswers.keys()].sort()).toEqual([...full.fixedAnswers.keys()].sort());
    });
  }

  it('a chain of taken-over compiles stays equal to full compiles', () => {
    let snapshot = base();
    let engine = compileSnapshot(snapshot);
    const steps: Array<Partial<SnapshotDelta>> = [
      { flags: { f1: makeFlag('f1', { defaultRule: { variant: 'on' } }) } },
      { segments: { even: seg('even', ['u1', 'u3']) } },
      { flags: { f3: null, added: makeFlag('added', { rules: inSeg('odd') }) } },
      { flags: { f1: makeFlag('f1', { prerequisites: [{ flag: 'child', variant: 'on' }] }) } },
      { flags: { f1: makeFlag('f1') }, segments: { odd: null } },
    ];
    for (const step of steps) {
      const d = delta(step, snapshot);
      const expected = applyDelta(snapshot, d);
      snapshot = applyDeltaInPlace(snapshot, d).snapshot;
      engine = compileSnapshot(snapshot, {
        engine,
        changedFlags: Object.keys(d.flags),
        changedSegments: Object.keys(d.segments),
        takeOver: true,
      });
      expect(answers(expected, engine)).toEqual(answers(expected));
    }
  });

  it('a compile that throws leaves the engine it would take over as it was, and undo restores the snapshot', () => {
    const before = base();
    const copy = structuredClone(before);
    const previous = compileSnapshot(before);
    const expected = answers(copy, previous);
    // Shape-checked on the wire, but not compilable: no rules array.
    const bad = { ...makeFlag('f1'), rules: null } as unknown as SnapshotFlag;
    const d = delta({ flags: { f1: bad, f2: null, added: makeFlag('added') } }, before);
    const { snapshot: after, undo } = applyDeltaInPlace(before, d);
    expect(() =>
      compileSnapshot(after, {
        engine: previous,
        changedFlags: Object.keys(d.flags),
        changedSegments: [],
        takeOver: true,
      }),
    ).toThrow();
    undo();
    expect(before).toEqual(copy);
    // ...in the same key order (the snapshot's JSON is served under a strong ETag).
    expect(JSON.stringify(before)).toBe(JSON.stringify(copy));
    expect(answers(copy, previous)).toEqual(expected);
  });

  it('applyDeltaInPlace refuses a delta onto another base and changes nothing', () => {
    const before = base();
    const copy = structuredClone(before);
    expect(() => applyDeltaInPlace(before, delta({ base: 7, version: 8, flags: { f1: null } }, before))).toThrow(
      /onto version 7, not 1/,
    );
    expect(before).toEqual(copy);
  });

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
