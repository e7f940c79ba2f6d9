/**
 * The rollout-ticks SLO's and the analysis cause alerts' series (docs/slo.md), recorded on the real
 * path: the admin API (SQLite) starts two rollouts, the real BullTickScheduler queues their ticks
 * on the shared Redis (own prefix), the BullMQ tick worker runs them against a real Prometheus and
 * a closed port, and the workers' metrics show the ticks, their lag, each query's outcome and
 * each applied decision.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BullTickScheduler, MapPolicyCatalog, validatePolicy } from '@flagship/controller';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '@flagship/controller/testing';
import { freePort, startPrometheus, type PrometheusHarness } from '../../../testing/prometheus-harness.ts';
import { WorkersMetrics } from '../metrics/workers-metrics.ts';
import { eventually, testRedis, uniquePrefix } from '../test-support/fixtures.ts';
import { startRolloutWorkers, type RolloutWorkers } from './rollout-workers.ts';

function policy(name: string, address?: string) {
  const checked = validatePolicy({
    name,
    steps: [
      { weight: 10, minDuration: '1h' },
      { weight: 100, minDuration: '1h' },
    ],
    analysis: { interval: '1s', initialDelay: '1s', prometheus: { timeout: '1s', ...(address ? { address } : {}) } },
    traffic: { query: 'req{v="{{variant}}"}' },
    metrics: [{ name: 'err', kind: 'threshold', query: 'err{v="{{variant}}"}', max: 0.02 }],
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.value;
}

const prefix = uniquePrefix();
const redis = testRedis(prefix);
const connection = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const metrics = new WorkersMetrics();
let prometheus: PrometheusHarness;
let scheduler: BullTickScheduler;
let t: TestServer;
let workers: RolloutWorkers;

beforeAll(async () => {
  prometheus = await startPrometheus({ targets: [] });
  const closed = `http://127.0.0.1:${await freePort()}`;
  scheduler = new BullTickScheduler({ connection, prefix });
  t = await startTestServer('sqlite', {
    rollouts: {
      policies: new MapPolicyCatalog(
        new Map([
          ['reachable', policy('reachable')],
          ['unreachable', policy('unreachable', closed)],
        ]),
      ),
      scheduler,
    },
  });
  await seedProject(t, 'shop', [{ key: 'prod' }]);
  for (const flag of ['checkout', 'search']) {
    expect((await t.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag(flag) })).status).toBe(201);
    const put = await t.request('PUT', `/api/v1/projects/shop/environments/prod/flags/${flag}`, {
      body: { ...onConfig({ defaultRule: { variant: 'off' } }), version: 1 },
    });
    expect(put.status).toBe(200);
  }
  workers = await startRolloutWorkers({
    connection,
    prefix,
    rollouts: t.plane.services.rollouts,
    webhooks: t.plane.services.webhooks,
    prometheusUrl: prometheus.url,
    metrics,
    log: () => {},
  });
}, 60_000);

afterAll(async () => {
  await workers?.close();
  await scheduler?.close();
  await t?.close();
  await prometheus?.stop();
  connection.disconnect();
  await redis.cleanup();
});

/** The value of one series line (name with its labels) in the exposition, or 0 when absent. */
async function value(series: string): Promise<number> {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

it('ticks record their lag, each query outcome and each applied decision', async () => {
  expect(await value('flagship_rollout_ticks_total')).toBe(0);
  for (const [flag, p] of [
    ['checkout', 'reachable'],
    ['search', 'unreachable'],
  ] as const) {
    const started = await t.request('POST', `/api/v1/projects/shop/environments/prod/flags/${flag}/rollouts`, {
      body: { policy: p, treatment: 'on', control: 'off' },
    });
    expect(started.status).toBe(201);
  }
  // Each rollout ticks every second after its 1 s initial delay: wait for two ticks of each.
  await eventually(
    async () => ((await value('flagship_rollout_ticks_total')) >= 4 ? true : undefined),
    20_000,
    'four analysis ticks',
  );
  await workers.close(); // no tick in flight while the counts are compared
  const ticks = await value('flagship_rollout_ticks_total');
  expect(await value('flagship_rollout_tick_lag_seconds_count')).toBe(ticks);
  // Queued with BullMQ's delay, run at once by an idle worker: well within 2 intervals.
  expect(await value('flagship_rollout_ticks_late_total')).toBe(0);
  expect(await value('flagship_rollout_tick_lag_seconds_bucket{le="1"}')).toBe(ticks);

  // A real Prometheus answered (no data: an answer, not an error); the closed port could not be reached.
  const ok = await value('flagship_analysis_query_duration_seconds_count{outcome="ok"}');
  const failed = await value('flagship_analysis_query_duration_seconds_count{outcome="error"}');
  expect(ok).toBeGreaterThanOrEqual(2);
  expect(failed).toBeGreaterThanOrEqual(1); // the erroring rollout may pause itself after its error limit
  expect(await value('flagship_analysis_query_errors_total{reason="unreachable"}')).toBe(failed);
  // 10% step: traffic for both arms and the threshold metric's treatment query, per tick.
  expect(ok + failed).toBe(3 * ticks);

  // Every tick was applied (nothing else moved the rollouts): one decision each, environment-labelled.
  const text = await metrics.registry.metrics();
  const decisions = text
    .split('\n')
    .filter((l) => l.startsWith('flagship_rollout_decisions_total{'))
    .map((l) => {
      expect(l).toMatch(/^flagship_rollout_decisions_total\{environment="shop\.prod",decision="[a-z-]+"\} \d+$/);
      return Number(l.split(' ')[1]);
    });
  expect(decisions.reduce((a, b) => a + b, 0)).toBe(ticks);
}, 60_000);
