/**
 * npm run bench:controller — 1,000 concurrent rollouts with a 5 s analysis interval.
 *
 * Real parts: the control plane's services on embedded SQLite (the default store), BullMQ on the
 * Redis at REDIS_URL (a unique prefix, removed afterwards), and the workers' tick processor. Only
 * Prometheus is replaced, by a server replaying recorded answers (testing/prometheus-replay.ts),
 * as the issue allows for this load test. The rollouts all hold at their first step (a long
 * minDuration), so every one of them ticks every 5 s for the whole run.
 *
 * Measures tick lag (when a tick started minus when it was due) and the queries per second the
 * replay server answered. Last line: {"bench":"controller","metrics":{...}}.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  BullDeliveryQueue,
  BullTickScheduler,
  createControlPlaneOn,
  createDatabase,
  MapPolicyCatalog,
  runMigrations,
  validatePolicy,
  type RequestContext,
} from '@flagship/controller';
import { startRolloutWorkers } from '../src/rollouts/rollout-workers.ts';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const ROLLOUTS = Number(process.env.ROLLOUTS ?? 1000);
const INTERVAL_S = Number(process.env.INTERVAL_S ?? 5);
const MEASURE_S = Number(process.env.MEASURE_S ?? 30);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const log = (m: string) => console.log(`controller-bench: ${m}`);
const dir = mkdtempSync(join(tmpdir(), 'fs-controller-bench-'));
const prefix = `fs-cbench-${randomBytes(4).toString('hex')}`;

// Recorded answers of a healthy service (~5,000 requests and 0.1% errors per arm and window),
// served from a process of its own, as a real Prometheus would be.
const replayProcess = spawn(process.execPath, ['--import', 'tsx', 'testing/replay-prometheus-main.ts'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const replayUrl = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the replay Prometheus did not start in 30 s')), 30_000);
  createInterface({ input: replayProcess.stdout }).on('line', (line) => {
    const m = /listening on (\S+)/.exec(line);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]!);
    }
  });
});
const replay = {
  url: replayUrl,
  stats: async (reset = false) =>
    (await (await fetch(`${replayUrl}/-/replay-stats${reset ? '?reset=1' : ''}`)).json()) as { queries: number },
};
const policy = validatePolicy({
  name: 'bench',
  steps: [
    { weight: 10, minDuration: '1h', minSamples: 100 },
    { weight: 100, minDuration: '1m' },
  ],
  analysis: {
    interval: `${INTERVAL_S}s`,
    initialDelay: `${INTERVAL_S}s`,
    prometheus: { address: replay.url, timeout: '2s' },
  },
  traffic: { query: 'sum(increase(app_requests_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))' },
  metrics: [
    {
      name: 'error-ratio',
      kind: 'threshold',
      max: 0.02,
      query:
        'sum(increase(app_request_errors_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}])) / sum(increase(app_requests_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
    },
    {
      name: 'errors-vs-control',
      kind: 'comparison',
      alpha: 0.05,
      errorsQuery: 'sum(increase(app_request_errors_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
      totalQuery: 'sum(increase(app_requests_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
    },
  ],
});
if (!policy.ok) throw new Error(JSON.stringify(policy.problems));

const db = createDatabase({ databaseUrl: undefined, sqliteFile: join(dir, 'controller.sqlite') });
await runMigrations(db);
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queues = { connection, prefix };
const scheduler = new BullTickScheduler(queues);
const deliveries = new BullDeliveryQueue(queues);
const plane = createControlPlaneOn(db, {
  rollouts: { policies: new MapPolicyCatalog(new Map([['bench', policy.value]])), scheduler, deliveries },
  log: () => {},
});
const s = plane.services;
const ctx: RequestContext = {
  actor: { keyId: 'bench', name: 'bench', owner: 'bench', role: 'admin', environments: null },
  requestId: 'bench',
};

log(`creating ${ROLLOUTS} flags and starting a rollout of each (interval ${INTERVAL_S}s)`);
await s.projects.create(ctx, { key: 'bench', name: 'bench' });
await s.environments.create(ctx, 'bench', { key: 'prod', name: 'prod' });
const lags: number[] = [];
let measuring = false;
let stale = 0;
const workers = await startRolloutWorkers({
  connection,
  prefix,
  rollouts: s.rollouts,
  webhooks: s.webhooks,
  prometheusUrl: replay.url,
  concurrency: 200,
  onTick: (_job, outcome) => {
    if (!measuring) return;
    if (outcome.result === 'stale') stale++;
    lags.push(outcome.lagMs);
  },
  log: () => {},
});
const setupStarted = Date.now();
for (let i = 0; i < ROLLOUTS; i++) {
  const key = `flag-${String(i).padStart(4, '0')}`;
  await s.flags.create(ctx, 'bench', { key, type: 'boolean', variants: { on: true, off: false } });
  const { config } = await s.flags.getConfig('bench', 'prod', key);
  await s.flags.putConfig(ctx, 'bench', 'prod', key, config.version, { ...config.config, enabled: true });
  await s.rollouts.start(ctx, 'bench', 'prod', key, { policy: 'bench', treatment: 'on', control: 'off' });
}
log(`setup took ${((Date.now() - setupStarted) / 1000).toFixed(1)} s; warming up for ${2 * INTERVAL_S} s`);
await new Promise((r) => setTimeout(r, 2 * INTERVAL_S * 1000));

await replay.stats(true);
measuring = true;
const measureStarted = Date.now();
await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
measuring = false;
const seconds = (Date.now() - measureStarted) / 1000;
const stats = await replay.stats();

await workers.close();
await Promise.all([scheduler.queue.obliterate({ force: true }), deliveries.queue.obliterate({ force: true })]).catch(
  () => {},
);
await Promise.all([scheduler.close(), deliveries.close()]);
connection.disconnect();
await plane.close();
replayProcess.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });

lags.sort((a, b) => a - b);
const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? NaN;
const ticksPerS = lags.length / seconds;
log(
  `${lags.length} ticks in ${seconds.toFixed(1)} s (${ticksPerS.toFixed(1)}/s, expected ${(ROLLOUTS / INTERVAL_S).toFixed(1)}/s), ${stale} stale`,
);
log(`tick lag ms: p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${lags.at(-1)} (target p99 < 1000)`);
log(`Prometheus queries: ${stats.queries} in ${seconds.toFixed(1)} s`);
console.log(
  JSON.stringify({
    bench: 'controller',
    metrics: {
      rollouts: ROLLOUTS,
      tick_lag_p99_ms: pct(99),
      tick_lag_p50_ms: pct(50),
      ticks_per_s: Number(ticksPerS.toFixed(1)),
      queries_per_s: Number((stats.queries / seconds).toFixed(1)),
    },
  }),
);
process.exit(0);
