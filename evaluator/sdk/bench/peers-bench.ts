/**
 * npm run bench:peers — this SDK against the peers' own in-process SDKs, side by side in one
 * process (issue 12): @openfeature/flagd-core, unleash-client, @growthbook/growthbook and
 * @launchdarkly/node-server-sdk, each configured fully offline with the same 100 flags
 * (peers/scenario.ts) and called the way its documentation recommends on a server (peers/*-adapter.ts).
 *
 * Scenarios: `static` (a boolean on for everyone), `rule` ("b" when plan is in [pro, enterprise]
 * and country in [NL, BE], else "a"), `split` (a/b/c at 33/33/34 by the context's key) and
 * `bulk100` (all 100 flags for one context, counted as 100 evaluations). 10,000 distinct contexts
 * are cycled, built once per SDK in its own context shape. Before anything is timed every SDK is
 * validated (peers/validate-adapter.ts): wrong answers, split shares off by more than a point, or an
 * answer that survives a mutation of its context object stop the bench with exit code 1.
 *
 * Rounds are interleaved (each round runs every scenario of every SDK, the SDK order rotating),
 * the first is a warm-up, the median of the rest is reported; a GC runs between rounds when
 * exposed, so one SDK's garbage is not collected on another's time. Each adapter writes its own
 * timed loops (`loops`), so each SDK's call site is its own, as in a service.
 *
 * Last line: {"bench":"peers","metrics":{sdk:{scenario:evals_per_s}},"ratio":{"<scenario>_vs_best_peer":…}},
 * each ratio this SDK's rate over the fastest peer's in that scenario.
 */
import { randomKeys } from '../../src/engine/test-support.ts';
import { createFlagdAdapter } from './peers/flagd-adapter.ts';
import { createFlagshipAdapter } from './peers/flagship-adapter.ts';
import { createGrowthBookAdapter } from './peers/growthbook-adapter.ts';
import { createLaunchDarklyAdapter } from './peers/launchdarkly-adapter.ts';
import { baseContexts, SCENARIOS, type Scenario, type SdkAdapter } from './peers/scenario.ts';
import { validateAdapter } from './peers/validate-adapter.ts';
import { createUnleashAdapter } from './peers/unleash-adapter.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
const CONTEXTS = 10_000;
/** The split's shares are checked over this many keys (one point is then about 7 standard deviations). */
const SPLIT_KEYS = 100_000;
const OURS = 'flagship';

let sink = 0;

/** One timed round of `scenario` on `adapter` over its contexts from `cursor.at`, for ROUND_MS: calls/s. */
async function round(
  adapter: SdkAdapter,
  scenario: Scenario,
  contexts: readonly unknown[],
  cursor: { at: number },
): Promise<number> {
  const loop = adapter.loops[scenario];
  // The clock is read once per chunk: a few hundred ns against at least tens of microseconds of work.
  const chunk = scenario === 'bulk100' ? 10 : 1000;
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ROUND_MS) {
    sink += adapter.async ? await loop(contexts, cursor.at, chunk) : (loop(contexts, cursor.at, chunk) as number);
    cursor.at = (cursor.at + chunk) % contexts.length;
    calls += chunk;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (process.env.NODE_ENV !== 'production')
    console.warn(
      'bench:peers: NODE_ENV is not "production": GrowthBook logs on its hot path (npm run bench:peers sets it)',
    );
  const splitBases = baseContexts(randomKeys(SPLIT_KEYS, 11));
  const bases = splitBases.slice(0, CONTEXTS);

  // BENCH_PEERS=flagd_core,unleash races fewer peers (to profile one: node --cpu-prof); this SDK always runs.
  const only = process.env.BENCH_PEERS?.split(',').map((p) => p.trim());
  const factories: Array<[string, () => SdkAdapter | Promise<SdkAdapter>]> = [
    [OURS, () => createFlagshipAdapter() as SdkAdapter],
    ['flagd_core', () => createFlagdAdapter() as SdkAdapter],
    ['growthbook', () => createGrowthBookAdapter() as SdkAdapter],
    ['launchdarkly', async () => (await createLaunchDarklyAdapter()) as SdkAdapter],
    ['unleash', async () => (await createUnleashAdapter()) as SdkAdapter],
  ];
  const unknown = only?.filter((p) => !factories.some(([name]) => name === p)) ?? [];
  if (unknown.length > 0 || only?.length === 0) {
    console.error(
      `BENCH_PEERS: ${unknown.join(', ')} unknown; give some of ${factories
        .slice(1)
        .map(([n]) => n)
        .join(', ')}`,
    );
    process.exitCode = 2;
    return;
  }
  const adapters: SdkAdapter[] = [];
  for (const [name, create] of factories)
    if (name === OURS || only === undefined || only.includes(name)) adapters.push(await create());

  const problems: string[] = [];
  for (const a of adapters) problems.push(...(await validateAdapter(a, bases, splitBases)));
  if (problems.length > 0) {
    for (const p of problems) console.error(`bench:peers: ${p}`);
    console.error(`bench:peers: ${problems.length} validation problem(s); nothing timed`);
    for (const a of adapters) await a.close();
    process.exitCode = 1;
    return;
  }

  const contexts = new Map(adapters.map((a) => [a, bases.map((b) => a.context(b))]));
  const cursors = new Map(adapters.map((a) => [a, Object.fromEntries(SCENARIOS.map((s) => [s, { at: 0 }]))]));
  const rates = new Map(adapters.map((a) => [a, Object.fromEntries(SCENARIOS.map((s) => [s, [] as number[]]))]));
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let r = -1; r < ROUNDS; r++) {
    for (const s of SCENARIOS) {
      for (let k = 0; k < adapters.length; k++) {
        const a = adapters[(k + r + 1) % adapters.length]!;
        gc?.();
        const rate = (await round(a, s, contexts.get(a)!, cursors.get(a)![s]!)) * (s === 'bulk100' ? 100 : 1);
        if (r >= 0) rates.get(a)![s]!.push(rate); // round -1 warms every path up
      }
    }
  }
  for (const a of adapters) await a.close();

  const metrics: Record<string, Record<Scenario, number>> = {};
  for (const a of adapters)
    metrics[a.name] = Object.fromEntries(SCENARIOS.map((s) => [s, Math.round(median(rates.get(a)![s]!))])) as Record<
      Scenario,
      number
    >;
  const ratio: Record<string, number> = {};
  const best: Record<string, string> = {};
  for (const s of SCENARIOS) {
    const peers = adapters.filter((a) => a.name !== OURS).map((a) => [a.name, metrics[a.name]![s]] as const);
    const [name, rate] = peers.reduce((x, y) => (y[1] > x[1] ? y : x));
    best[s] = name;
    ratio[`${s}_vs_best_peer`] = Number((metrics[OURS]![s] / rate).toFixed(2));
  }

  console.log(
    `peers benchmark: median of ${ROUNDS} interleaved rounds x ${ROUND_MS} ms, ${CONTEXTS} contexts, node ${process.version}, one core (sink ${sink & 1})`,
  );
  for (const a of adapters) console.log(`  ${a.name.padEnd(13)} ${a.setup}`);
  console.log(`${'evaluations/s'.padEnd(15)}${SCENARIOS.map((s) => s.padStart(12)).join('')}`);
  for (const a of adapters)
    console.log(
      `${a.name.padEnd(15)}${SCENARIOS.map((s) => `${(metrics[a.name]![s] / 1e6).toFixed(2)} M`.padStart(12)).join('')}`,
    );
  console.log(`${'best peer'.padEnd(15)}${SCENARIOS.map((s) => best[s]!.padStart(12)).join('')}`);
  console.log(
    `${`${OURS} / best`.padEnd(15)}${SCENARIOS.map((s) => String(ratio[`${s}_vs_best_peer`]).padStart(12)).join('')}`,
  );
  console.log(JSON.stringify({ bench: 'peers', metrics, ratio }));
}

await main();
