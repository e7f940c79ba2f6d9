/**
 * npm run bench:engine — evaluations per second on one core, per scenario, plus the bare cost of
 * the SipHash-2-4 the engine uses over the same inputs (the floor a split cannot beat).
 * Each scenario runs ROUNDS timed rounds after a warm-up; the median round is reported, because
 * the machine is shared and a single round can be hit by a neighbour.
 * Regular expressions: `regex` is evaluations/s of a flag whose rule `matches` a user agent;
 * `regex_worst_us` is the worst single match (µs) over the corpus of patterns validation accepts
 * (seeded generated ones plus the costly ones in regex-corpus.ts) x hostile 1,024-character
 * inputs, each pair timed cold (pattern just compiled) and warm, the best of 3 tries per pair so
 * a neighbour's burst does not count as the pattern's cost; `compile_10k_ms` and
 * `compile_10k_regex_ms` compile a 10,000-flag snapshot without and with 1,000 distinct patterns.
 * Last line: {"bench":"engine","metrics":{...}}.
 */
import { compileSnapshot } from '../src/engine/compile-snapshot.ts';
import { saltToKey, sipHashBucket } from '../src/engine/siphash24.ts';
import { makeFlag, makeSnapshot, randomKeys } from '../src/engine/test-support.ts';
import type { SnapshotFlag } from '../src/model/flag.ts';
import { bigSegment, FIVE_RULES, IN_BIG_SEGMENT, mixedFlags, THREE_VARIANTS, THREE_WAY } from './mixed-flags.ts';
import type { EvaluationContext } from '../src/model/result.ts';
import { compileRegex } from '../src/engine/runtime/regex.ts';
import {
  adversarialInputs,
  COSTLY_PATTERNS,
  generateRegex,
  hostileTexts,
  printRegex,
  rng,
} from '../src/engine/runtime/regex-corpus.ts';

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
  userAgent: `Mozilla/5.0 (${['X11; Linux x86_64', 'Macintosh; Intel Mac OS X 14_5', 'Windows NT 10.0; Win64; x64'][i % 3]}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/12${i % 10}.0.0.0 Safari/537.36`,
}));

const flags: SnapshotFlag[] = [
  makeFlag('static', { salt: SALT, defaultRule: { variant: 'treatment' } }),
  makeFlag('rules', { salt: SALT, rules: FIVE_RULES }),
  makeFlag('split', { salt: SALT, variants: THREE_VARIANTS, defaultRule: THREE_WAY }),
  makeFlag('segment', { salt: SALT, rules: IN_BIG_SEGMENT }),
  makeFlag('regex', {
    salt: SALT,
    rules: [
      {
        conditions: [
          { attribute: 'userAgent', op: 'matches', values: ['(?i)\\((x11|macintosh)[^)]*\\).*chrome/12[0-4]\\.'] },
        ],
        serve: { variant: 'treatment' },
      },
    ],
  }),
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
  static: measure((i) => {
    sink ^= engine.evaluate('static', contexts[i]!).reason.length;
  }),
  rules: measure((i) => {
    sink ^= engine.evaluate('rules', contexts[i]!).reason.length;
  }),
  split: measure((i) => {
    sink ^= engine.evaluate('split', contexts[i]!).reason.length;
  }),
  segment: measure((i) => {
    sink ^= engine.evaluate('segment', contexts[i]!).reason.length;
  }),
  bulk100: measure((i) => {
    sink ^= bulkEngine.evaluateAll(contexts[i]!).length;
  }, 100),
  siphash_floor: measure((i) => {
    sink ^= sipHashBucket(sipKey, keys[i]!);
  }),
  regex: measure((i) => {
    sink ^= engine.evaluate('regex', contexts[i]!).reason.length;
  }),
  ...worstRegexMatch(),
  ...compileTimes(),
};

/** The worst single match over accepted patterns x hostile inputs (see the header). */
function worstRegexMatch(): { regex_worst_us: number } {
  const random = rng(2026);
  const corpus: Array<{ pattern: string; inputs: string[] }> = [];
  for (let i = 0; corpus.length < 300 && i < 2000; i++) {
    const tree = generateRegex(random, 4);
    const pattern = printRegex(tree);
    if (compileRegex([pattern]).ok) corpus.push({ pattern, inputs: adversarialInputs(tree, random) });
  }
  for (const pattern of COSTLY_PATTERNS) {
    const literals = [...new Set(pattern.replace(/\\./g, '').match(/[a-z!]/g) ?? [])];
    corpus.push({
      pattern,
      inputs: [...hostileTexts(literals, '', random), 'ab'.repeat(512), 'a '.repeat(512), 'aaaaaaaab'.repeat(113)],
    });
  }
  const compile = (pattern: string) => {
    const r = compileRegex([pattern]);
    if (!r.ok) throw new Error(`corpus pattern refused: ${pattern}: ${r.refusal.message}`);
    return r.regex;
  };
  let worst = 0;
  let worstAt = '';
  for (const { pattern, inputs } of corpus) {
    const warm = compile(pattern);
    for (const input of inputs) {
      let cold = Infinity;
      let hot = Infinity;
      for (let k = 0; k < 3; k++) {
        const fresh = compile(pattern);
        let t = performance.now();
        sink ^= fresh.test(input) ? 1 : 0;
        cold = Math.min(cold, performance.now() - t);
        t = performance.now();
        sink ^= warm.test(input) ? 1 : 0;
        hot = Math.min(hot, performance.now() - t);
      }
      const us = Math.max(cold, hot) * 1000;
      if (us > worst) {
        worst = us;
        worstAt = `${JSON.stringify(pattern)} on ${input.length} chars starting ${JSON.stringify(input.slice(0, 12))}`;
      }
    }
  }
  console.log(`regex corpus: ${corpus.length} patterns, worst single match ${worst.toFixed(0)} µs: ${worstAt}`);
  return { regex_worst_us: Math.round(worst) };
}

/** Snapshot compile time, 10,000 flags, without and with 1,000 distinct `matches` patterns. */
function compileTimes(): { compile_10k_ms: number; compile_10k_regex_ms: number } {
  const build = (withRegex: boolean): SnapshotFlag[] =>
    Array.from({ length: 10_000 }, (_, i) =>
      makeFlag(`f${i}`, {
        salt: SALT,
        rules: [
          {
            conditions: [
              withRegex && i % 10 === 0
                ? { attribute: 'email', op: 'matches', values: [`^[a-z0-9._%+-]+@(team${i}|ops${i})\\.example\\.com$`] }
                : { attribute: 'email', op: 'in', values: [`user${i}@example.com`] },
            ],
            serve: { variant: 'treatment' },
          },
        ],
      }),
    );
  const time = (snapshotFlags: SnapshotFlag[]): number => {
    const snapshot = makeSnapshot(snapshotFlags);
    const runs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      sink ^= compileSnapshot(snapshot).evaluate('f0', contexts[0]!).reason.length;
      runs.push(performance.now() - t);
    }
    return Math.round(runs.sort((a, b) => a - b)[1]!);
  };
  return { compile_10k_ms: time(build(false)), compile_10k_regex_ms: time(build(true)) };
}

const rows = Object.entries(metrics).map(([name, v]) =>
  name.endsWith('_us') || name.endsWith('_ms')
    ? `${name.padEnd(20)} ${String(v).padStart(8)} ${name.slice(-2).replace('us', 'µs')}`
    : `${name.padEnd(20)} ${(v / 1e6).toFixed(2).padStart(8)} M/s`,
);
console.log(`engine benchmark: median of ${ROUNDS} rounds x ${ROUND_MS} ms, node ${process.version}, one core`);
console.log(rows.join('\n'));
console.log(`split / siphash_floor = ${(metrics.split / metrics.siphash_floor).toFixed(3)}   (sink ${sink & 1})`);
console.log(
  JSON.stringify({
    bench: 'engine',
    metrics,
    ratio: { split_vs_siphash_floor: Number((metrics.split / metrics.siphash_floor).toFixed(3)) },
  }),
);
