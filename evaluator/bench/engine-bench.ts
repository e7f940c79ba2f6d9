/**
 * npm run bench:engine — evaluations per second on one core, per scenario, plus the bare cost of
 * the SipHash-2-4 the engine uses over the same inputs (the floor a split cannot beat).
 * Each scenario runs ROUNDS timed rounds after a warm-up; the median round is reported, because
 * the machine is shared and a single round can be hit by a neighbour.
 * Last line: {"bench":"engine","metrics":{...}}.
 */
import { compileSnapshot } from '../src/engine/compile-snapshot.ts';
import { saltToKey, sipHashBucket } from '../src/engine/siphash24.ts';
import { makeFlag, makeSnapshot, randomKeys } from '../src/engine/test-support.ts';
import type { Condition, SnapshotFlag } from '../src/model/flag.ts';
import type { EvaluationContext } from '../src/model/result.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const SALT = 'a3f1c2d4e5b60718293a4b5c6d7e8f90';

const keys = randomKeys(4096, 7);
const members = keys.slice(0, 2048);
const contexts: EvaluationContext[] = keys.map((k, i) => ({
  targetingKey: k,
  country: ['NL', 'DE', 'US', 'FR'][i % 4],
  plan: ['free', 'pro', 'enterprise'][i % 3],
  age: 18 + (i % 60),
  appVersion: `2.${i % 12}.0`,
}));

// 5 rules of 3 conditions; the contexts mostly fall through to late rules or the default,
// so a typical evaluation tests most conditions.
const cond = (attribute: string, op: Condition['op'], values: Condition['values']): Condition => ({ attribute, op, values });
const fiveRules = [
  [cond('country', 'in', ['BR']), cond('plan', 'in', ['pro']), cond('age', 'gte', [30])],
  [cond('country', 'in', ['JP', 'KR']), cond('plan', 'in', ['enterprise']), cond('age', 'lt', [50])],
  [cond('plan', 'in', ['free']), cond('country', 'in', ['IT']), cond('age', 'gt', [20])],
  [cond('age', 'gte', [70]), cond('country', 'notIn', ['NL']), cond('plan', 'in', ['pro', 'free'])],
  [cond('country', 'in', ['NL', 'DE']), cond('plan', 'in', ['enterprise', 'pro']), cond('age', 'lte', [60])],
].map((conditions) => ({ conditions, serve: { variant: 'treatment' } }));

const threeWay = { split: [
  { variant: 'treatment', weight: 33_334 }, { variant: 'control', weight: 33_333 }, { variant: 'other', weight: 33_333 },
] };
const variants = { treatment: 'T', control: 'C', other: 'O' };

const flags: SnapshotFlag[] = [
  makeFlag('static', { salt: SALT, defaultRule: { variant: 'treatment' } }),
  makeFlag('rules', { salt: SALT, rules: fiveRules }),
  makeFlag('split', { salt: SALT, variants, defaultRule: threeWay }),
  makeFlag('segment', { salt: SALT, rules: [{ conditions: [cond('', 'inSegment', ['big'])], serve: { variant: 'treatment' } }] }),
];
// bulk100: a realistic mix: 40 static, 30 with rules, 20 splits, 10 segment-targeted.
const mixed: SnapshotFlag[] = [];
for (let i = 0; i < 100; i++) {
  const key = `mixed-${String(i).padStart(3, '0')}`;
  const salt = (i.toString(16).padStart(2, '0')).repeat(16);
  if (i < 40) mixed.push(makeFlag(key, { salt, defaultRule: { variant: 'treatment' } }));
  else if (i < 70) mixed.push(makeFlag(key, { salt, rules: fiveRules }));
  else if (i < 90) mixed.push(makeFlag(key, { salt, variants, defaultRule: threeWay }));
  else mixed.push(makeFlag(key, { salt, rules: [{ conditions: [cond('', 'inSegment', ['big'])], serve: { variant: 'treatment' } }] }));
}
// 10,000-key include list: 2,048 of the bench's contexts are in it.
const included = [...members, ...randomKeys(10_000 - members.length, 99)];
const segments = { big: { key: 'big', version: 1, included, excluded: [], rules: [] } };
const engine = compileSnapshot(makeSnapshot(flags, segments));
const bulkEngine = compileSnapshot(makeSnapshot(mixed, segments));

let sink = 0;
/** Runs `body(i)` in a tight loop for ROUND_MS; returns operations per second. */
function measure(body: (i: number) => void, opsPerCall = 1): number {
  const rates: number[] = [];
  for (let round = -1; round < ROUNDS; round++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ROUND_MS) {
      for (let i = 0; i < 4096; i++) body(i);
      calls += 4096;
      now = performance.now();
    }
    if (round >= 0) rates.push((calls * opsPerCall * 1000) / (now - start)); // round -1 is warm-up
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(rates.length / 2)]!);
}

const sipKey = saltToKey(SALT);
const metrics = {
  static: measure((i) => { sink ^= engine.evaluate('static', contexts[i]!).reason.length; }),
  rules: measure((i) => { sink ^= engine.evaluate('rules', contexts[i]!).reason.length; }),
  split: measure((i) => { sink ^= engine.evaluate('split', contexts[i]!).reason.length; }),
  segment: measure((i) => { sink ^= engine.evaluate('segment', contexts[i]!).reason.length; }),
  bulk100: measure((i) => { sink ^= bulkEngine.evaluateAll(contexts[i]!).length; }, 100),
  siphash_floor: measure((i) => { sink ^= sipHashBucket(sipKey, keys[i]!); }),
};

const rows = Object.entries(metrics).map(([name, rate]) => `${name.padEnd(14)} ${(rate / 1e6).toFixed(2).padStart(8)} M/s`);
console.log(`engine benchmark: median of ${ROUNDS} rounds x ${ROUND_MS} ms, node ${process.version}, one core`);
console.log(rows.join('\n'));
console.log(`split / siphash_floor = ${(metrics.split / metrics.siphash_floor).toFixed(3)}   (sink ${sink & 1})`);
console.log(JSON.stringify({ bench: 'engine', metrics, ratio: { split_vs_siphash_floor: Number((metrics.split / metrics.siphash_floor).toFixed(3)) } }));
