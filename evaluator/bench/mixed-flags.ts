/**
 * The flags both benchmarks evaluate, so `bench:engine` and `bench:evaluator` measure the same
 * work: five rules of three conditions, a 3-way split, a 10,000-key segment, and the realistic
 * 100-flag mix (40 static, 30 with rules, 20 splits, 10 segment-targeted).
 */
import { makeFlag, randomKeys } from '../src/engine/test-support.ts';
import type { Condition, Segment, Serve, SnapshotFlag } from '../src/model/flag.ts';

export const cond = (attribute: string, op: Condition['op'], values: Condition['values']): Condition => ({
  attribute,
  op,
  values,
});

/** Most contexts fall through to the late rules, so an evaluation tests most conditions. */
export const FIVE_RULES = [
  [cond('country', 'in', ['BR']), cond('plan', 'in', ['pro']), cond('age', 'gte', [30])],
  [cond('country', 'in', ['JP', 'KR']), cond('plan', 'in', ['enterprise']), cond('age', 'lt', [50])],
  [cond('plan', 'in', ['free']), cond('country', 'in', ['IT']), cond('age', 'gt', [20])],
  [cond('age', 'gte', [70]), cond('country', 'notIn', ['NL']), cond('plan', 'in', ['pro', 'free'])],
  [cond('country', 'in', ['NL', 'DE']), cond('plan', 'in', ['enterprise', 'pro']), cond('age', 'lte', [60])],
].map((conditions) => ({ conditions, serve: { variant: 'treatment' } }));

export const THREE_WAY: Serve = {
  split: [
    { variant: 'treatment', weight: 33_334 },
    { variant: 'control', weight: 33_333 },
    { variant: 'other', weight: 33_333 },
  ],
};
export const THREE_VARIANTS = { treatment: 'T', control: 'C', other: 'O' };

/** A rule serving the treatment to members of segment `big`. */
export const IN_BIG_SEGMENT = [{ conditions: [cond('', 'inSegment', ['big'])], serve: { variant: 'treatment' } }];

/** Segment `big`: 10,000 keys, `members` among them. */
export function bigSegment(members: string[]): Record<string, Segment> {
  const included = [...members, ...randomKeys(10_000 - members.length, 99)];
  return { big: { key: 'big', version: 1, included, excluded: [], rules: [] } };
}

/** The 100-flag mix, keys `mixed-000` .. `mixed-099` (70..89 are the splits). */
export function mixedFlags(): SnapshotFlag[] {
  const flags: SnapshotFlag[] = [];
  for (let i = 0; i < 100; i++) {
    const key = `mixed-${String(i).padStart(3, '0')}`;
    const salt = i.toString(16).padStart(2, '0').repeat(16);
    if (i < 40) flags.push(makeFlag(key, { salt, defaultRule: { variant: 'treatment' } }));
    else if (i < 70) flags.push(makeFlag(key, { salt, rules: FIVE_RULES }));
    else if (i < 90) flags.push(makeFlag(key, { salt, variants: THREE_VARIANTS, defaultRule: THREE_WAY }));
    else flags.push(makeFlag(key, { salt, rules: IN_BIG_SEGMENT }));
  }
  return flags;
}
