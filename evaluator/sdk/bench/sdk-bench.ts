/**
 * npm run bench:sdk — the SDK's evaluation paths against the bare engine, in one run, on the
 * engine benchmark's scenarios (evaluator/bench/mixed-flags.ts and the same contexts):
 * - `engine_*`: `engine.evaluate` on the compiled snapshot, as bench:engine measures it;
 * - `sdk_*`: the synchronous API (`getStringValue`, `allFlags`), with its exposure counting;
 * - `openfeature_*`: `OpenFeature.getClient().getStringValue` over the SDK's provider (a Promise
 *   and the SDK's hook pipeline per call: OpenFeature's server API is asynchronous).
 * Rounds of the three paths are interleaved, the median round reported (the machine is shared);
 * each ratio is the median of the per-round ratios. Each synchronous path runs a loop compiled
 * for it alone (see syncLoop).
 * Also `heap_10k_flags_mb`: heap growth of a client that loaded a 10,000-flag snapshot.
 * Last line: {"bench":"sdk","metrics":{...},"ratio":{"sdk_vs_engine":…,"openfeature_vs_engine":…}},
 * each ratio the smallest over the scenarios (the per-scenario ratios are in metrics).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFeature, type EvaluationContext as OpenFeatureContext } from '@openfeature/server-sdk';
import { compileSnapshot, type EvaluationContext, type Snapshot, type SnapshotFlag } from '@flagship/evaluator';
import { makeFlag, makeSnapshot, randomKeys } from '../../src/engine/test-support.ts';
import {
  bigSegment,
  FIVE_RULES,
  IN_BIG_SEGMENT,
  mixedFlags,
  THREE_VARIANTS,
  THREE_WAY,
} from '../../bench/mixed-flags.ts';
import { FlagshipClient } from '../src/index.ts';
import { FlagshipProvider } from '../src/openfeature.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 200);
const SALT = 'a3f1c2d4e5b60718293a4b5c6d7e8f90';

const keys = randomKeys(4096, 7);
const contexts: EvaluationContext[] = keys.map((k, i) => ({
  targetingKey: k,
  country: ['NL', 'DE', 'US', 'FR'][i % 4],
  plan: ['free', 'pro', 'enterprise'][i % 3],
  age: 18 + (i % 60),
  appVersion: `2.${i % 12}.0`,
}));
// The same objects, typed as OpenFeature's context (its attribute values are narrower than unknown).
const ofContexts = contexts as unknown as OpenFeatureContext[];
const segments = bigSegment(keys.slice(0, 2048));
const scenarioFlags: SnapshotFlag[] = [
  makeFlag('static', { salt: SALT, defaultRule: { variant: 'treatment' } }),
  makeFlag('rules', { salt: SALT, rules: FIVE_RULES }),
  makeFlag('split', { salt: SALT, variants: THREE_VARIANTS, defaultRule: THREE_WAY }),
  makeFlag('segment', { salt: SALT, rules: IN_BIG_SEGMENT }),
];
// One snapshot holds both the scenario flags and the 100-flag mix, so one client serves every
// scenario; bulk100 evaluates the mix alone, on an engine and a client of its own.
const single = makeSnapshot(scenarioFlags, segments);
const bulk = makeSnapshot(mixedFlags(), segments);

const dir = mkdtempSync(join(tmpdir(), 'sdk-bench-'));
/** An offline client serving `snapshot` from a last-known-good file, as a service would at start. */
function clientOf(snapshot: Snapshot, name: string): FlagshipClient {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ etag: '"bench"', savedAt: Date.now(), snapshot }));
  return new FlagshipClient({ evaluators: [], sdkKey: 'bench', lastKnownGoodFile: file, offline: true });
}

let sink = 0;
/** A synchronous path: evaluates contexts[0..4095] once, returning a value folded into the sink. */
type SyncLoop = () => number;
type AsyncBody = (i: number) => Promise<void>;

/**
 * A loop of its own for one path. Closures made from one function literal share V8's type
 * feedback, so a loop shared by every path calls a megamorphic site, a fixed cost that hides the
 * difference between the fastest paths (bench:peers found the same); a function compiled per path
 * keeps each call site monomorphic, as a service's own call site is.
 */
function syncLoop(target: object, call: string): SyncLoop {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- one compiled loop per path (above)
  const make = new Function(
    'target',
    'contexts',
    `return function loop() { let x = 0; for (let i = 0; i < 4096; i++) x ^= ${call}; return x; };`,
  ) as (t: object, c: EvaluationContext[]) => SyncLoop;
  return make(target, contexts);
}

/** One timed round for ROUND_MS; calls/s. */
async function round(path: { loop?: SyncLoop; body?: AsyncBody }): Promise<number> {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ROUND_MS) {
    if (path.loop) sink ^= path.loop();
    else for (let i = 0; i < 4096; i++) await path.body!(i);
    calls += 4096;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const engine = compileSnapshot(single);
  const bulkEngine = compileSnapshot(bulk);
  const client = clientOf(single, 'single');
  const bulkClient = clientOf(bulk, 'bulk');
  const provider = new FlagshipProvider(client, { initTimeoutMs: 1 });
  await OpenFeature.setProviderAndWait(provider);
  const of = OpenFeature.getClient();

  const scenarios = ['static', 'rules', 'split', 'segment'] as const;
  const paths: Record<string, { loop?: SyncLoop; body?: AsyncBody; perCall: number }> = {};
  for (const s of scenarios) {
    paths[`engine_${s}`] = {
      loop: syncLoop(engine, `target.evaluate('${s}', contexts[i], 'string').reason.length`),
      perCall: 1,
    };
    paths[`sdk_${s}`] = {
      loop: syncLoop(client, `target.getStringValue('${s}', 'x', contexts[i]).length`),
      perCall: 1,
    };
    paths[`openfeature_${s}`] = {
      body: async (i) => void (sink ^= (await of.getStringValue(s, 'x', ofContexts[i])).length),
      perCall: 1,
    };
  }
  paths.engine_bulk100 = { loop: syncLoop(bulkEngine, 'target.evaluateAll(contexts[i]).length'), perCall: 100 };
  paths.sdk_bulk100 = { loop: syncLoop(bulkClient, 'target.allFlags(contexts[i]).length'), perCall: 100 };

  // Answers agree before anything is timed: the SDK serves what the engine serves.
  for (const s of scenarios) {
    for (let i = 0; i < 256; i++) {
      const want = engine.evaluate(s, contexts[i]!).value;
      if (client.getStringValue(s, 'x', contexts[i]) !== want) throw new Error(`sdk disagrees with the engine on ${s}`);
      if ((await of.getStringValue(s, 'x', ofContexts[i])) !== want) throw new Error(`openfeature disagrees on ${s}`);
    }
  }

  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  for (let r = -1; r < ROUNDS; r++) {
    for (const [name, p] of Object.entries(paths)) {
      const rate = (await round(p)) * p.perCall;
      if (r >= 0) rates[name]!.push(rate); // round -1 warms every path up
    }
  }
  const metrics: Record<string, number> = {};
  for (const [name, xs] of Object.entries(rates)) metrics[name] = Math.round(median(xs));
  // A ratio per round (the two paths ran next to each other, under the same load), then the
  // median of those: steadier on a shared machine than a ratio of two medians.
  const perRound = (a: string, b: string) => median(rates[a]!.map((x, i) => x / rates[b]![i]!));
  const sdkRatios: number[] = [];
  const ofRatios: number[] = [];
  for (const s of [...scenarios, 'bulk100'] as const) {
    const sdk = perRound(`sdk_${s}`, `engine_${s}`);
    metrics[`sdk_vs_engine_${s}`] = Number(sdk.toFixed(3));
    sdkRatios.push(sdk);
    if (s !== 'bulk100') {
      const o = perRound(`openfeature_${s}`, `engine_${s}`);
      metrics[`openfeature_vs_engine_${s}`] = Number(o.toFixed(4));
      ofRatios.push(o);
    }
  }
  metrics.heap_10k_flags_mb = heapOf10kFlags();
  await OpenFeature.close();
  rmSync(dir, { recursive: true, force: true });

  console.log(
    `sdk benchmark: median of ${ROUNDS} interleaved rounds x ${ROUND_MS} ms, node ${process.version}, one core (sink ${sink & 1})`,
  );
  for (const [name, v] of Object.entries(metrics)) {
    const shown = name.includes('_vs_') || name.endsWith('_mb') ? String(v) : `${(v / 1e6).toFixed(2)} M/s`;
    console.log(`${name.padEnd(34)} ${shown.padStart(12)}`);
  }
  console.log(
    JSON.stringify({
      bench: 'sdk',
      metrics,
      ratio: {
        sdk_vs_engine: Number(Math.min(...sdkRatios).toFixed(3)),
        openfeature_vs_engine: Number(Math.min(...ofRatios).toFixed(4)),
      },
    }),
  );
}

/** Heap growth (MB) of a client that loaded a 10,000-flag snapshot (a rule and a split each), after GC when exposed. */
function heapOf10kFlags(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  const flags = Array.from({ length: 10_000 }, (_, i) =>
    makeFlag(`f${i}`, {
      salt: SALT,
      rules: [
        {
          conditions: [{ attribute: 'email', op: 'in', values: [`user${i}@example.com`] }],
          serve: { variant: 'treatment' },
        },
      ],
      defaultRule: {
        split: [
          { variant: 'treatment', weight: 10_000 },
          { variant: 'control', weight: 90_000 },
        ],
      },
    }),
  );
  const file = join(dir, '10k.json');
  writeFileSync(file, JSON.stringify({ etag: '"10k"', savedAt: Date.now(), snapshot: makeSnapshot(flags) }));
  flags.length = 0;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const client = new FlagshipClient({ evaluators: [], sdkKey: 'bench', lastKnownGoodFile: file, offline: true });
  gc?.();
  const after = process.memoryUsage().heapUsed;
  sink ^= client.allFlags({ targetingKey: 'u' }).length;
  return Number(((after - before) / 1024 / 1024).toFixed(1));
}

// The SDK's sockets and timers are unref'd (an idle client keeps no process alive), and so are
// OpenFeature's: with nothing else holding the event loop, Node would end the process in the
// middle of an await (exit code 13, nothing printed). Hold it until main() settles.
const keepAlive = setInterval(() => {}, 1 << 30);
try {
  await main();
} finally {
  clearInterval(keepAlive);
}
