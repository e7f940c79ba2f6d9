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
import type { SnapshotFlag } from '../src/model/flag.ts';
import { bigSegment, FIVE_RULES, IN_BIG_SEGMENT, mixedFlags, THREE_VARIANTS, THREE_WAY } from './mixed-flags.ts';
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

const flags: SnapshotFlag[] = [
  makeFlag('static', { salt: SALT, defaultRule: { variant: 'treatment' } }),
  makeFlag('rules', { salt: SALT, rules: FIVE_RULES }),
  makeFlag('split', { salt: SALT, variants: THREE_VARIANTS, defaultRule: THREE_WAY }),
  makeFlag('segment', { salt: SALT, rules: IN_BIG_SEGMENT }),
];
// 2,048 of the bench's contexts are in the 10,000-key segment.
const segments = bigSegment(members);
const engine = compileSnapshot(makeSnapshot(flags, segments));
const bulkEngine = compileSnapshot(makeSnapshot(mixedFlags(), segments));

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
