import type { Snapshot, SnapshotFlag } from '@flagship/evaluator';
import { describe, expect, it } from 'vitest';
import { changedFlagKeys, unconfirmedView } from './snapshot-changes.ts';

const flag = (key: string, extra: Partial<SnapshotFlag> = {}): SnapshotFlag => ({
  key,
  type: 'string',
  variants: { a: 'A', b: 'B' },
  salt: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
  version: 1,
  enabled: true,
  offVariant: 'a',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'b' },
  ...extra,
});
const snap = (flags: SnapshotFlag[], segments: Snapshot['segments'] = {}): Snapshot => ({
  environment: 'e',
  version: 1,
  flags: Object.fromEntries(flags.map((f) => [f.key, f])),
  segments,
});

describe('changedFlagKeys', () => {
  it('names added, removed and changed flags only', () => {
    const before = snap([flag('same'), flag('gone'), flag('edited')]);
    const after = snap([flag('same'), flag('edited', { defaultRule: { variant: 'a' } }), flag('new')]);
    expect(changedFlagKeys(before, after)).toEqual(['edited', 'gone', 'new']);
  });
  it('a segment change names every flag', () => {
    const seg = { key: 's', version: 1, included: ['x'], excluded: [], rules: [] };
    expect(changedFlagKeys(snap([flag('f')], { s: seg }), snap([flag('f')], { s: { ...seg, version: 2 } }))).toEqual([
      'f',
    ]);
  });
});

describe('unconfirmedView', () => {
  it('disables only the flags whose failMode is off', () => {
    const s = snap([flag('off', { failMode: 'off' }), flag('last', { failMode: 'last' }), flag('plain')]);
    const view = unconfirmedView(s);
    expect(Object.values(view.flags).map((f) => [f.key, f.enabled])).toEqual([
      ['off', false],
      ['last', true],
      ['plain', true],
    ]);
    expect(s.flags.off!.enabled).toBe(true);
    expect(unconfirmedView(snap([flag('plain')]))).not.toBe(undefined);
  });
});
