/**
 * The workers' metrics listener (issue 8, item 11a: a set-aside pending kill is counted where a
 * Prometheus can scrape it). First the real listener over the real reconciler and Redis; then a
 * real workers process started by the stack launcher (scripts/stack/local-stack.ts), on embedded
 * SQLite and the shared Redis under a unique prefix, with a second workers process beside it on
 * its own free port: each serves /healthz and /metrics on 127.0.0.1, and an unreadable pending
 * kill shows on /metrics once the reconciler set it aside.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { runPropagationMigrations } from '@flagship/controller';
import { createTestDatabase } from '@flagship/controller/testing';
import { redisKeys } from '@flagship/evaluator/propagation';
import { type LocalStack, startLocalStack } from '../../../scripts/stack/local-stack.ts';
import { freePort } from '../../../scripts/stack/redis-server.ts';
import { KillReconciler } from '../kill/kill-reconciler.ts';
import { SnapshotPublisher } from '../publisher/snapshot-publisher.ts';
import { createSdkKey, evaluate, startEvaluators } from '../test-support/evaluator-fleet.ts';
import { booleanFlag, changeConfig, eventually, seed, testRedis, uniquePrefix } from '../test-support/fixtures.ts';
import { startMetricsListener } from './metrics-listener.ts';
import { WorkersMetrics } from './workers-metrics.ts';

/** The value of an unlabelled series in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('workers metrics', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(c)
        .catch(() => {});
  });

  it('the listener serves the set-aside counter and the pending-kill gauges on 127.0.0.1, and /healthz', async () => {
    const prefix = uniquePrefix();
    const r = testRedis(prefix);
    cleanups.push(() => r.cleanup());
    const t = await createTestDatabase('sqlite');
    cleanups.push(() => t.drop());
    const reconciler = new KillReconciler({ db: t.db, redis: r.redis, prefix });
    const metrics = new WorkersMetrics();
    const listener = await startMetricsListener({ port: 0, metrics, onError: () => {} });
    cleanups.push(() => listener.close());
    expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const scrape = async () => {
      const res = await fetch(`${listener.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };

    // Before the reconciler exists (the database not reached yet): the counter reads 0.
    expect(sample(await scrape(), 'flagship_kill_pending_invalid_total')).toBe(0);
    metrics.watchKills(reconciler);
    const before = await scrape();
    expect(sample(before, 'flagship_kill_pending_invalid_total')).toBe(0);
    expect(sample(before, 'flagship_kill_pending_invalid')).toBe(0);
    expect(before).toContain('process_cpu_user_seconds_total');

    await r.redis.hset(redisKeys(prefix).pendingKills, 'torn', '{"id":"torn","projectKey":"p","flag');
    expect(sample(await scrape(), 'flagship_kill_pending')).toBe(1);
    expect(await reconciler.reconcileOnce()).toBe(0);
    const after = await scrape();
    expect(sample(after, 'flagship_kill_pending_invalid_total')).toBe(1);
    expect(sample(after, 'flagship_kill_pending_invalid')).toBe(1);
    expect(sample(after, 'flagship_kill_pending')).toBe(0);
    // A counter: a second scrape does not count the same entry twice.
    expect(sample(await scrape(), 'flagship_kill_pending_invalid_total')).toBe(1);

    const health = await fetch(`${listener.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${listener.url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${listener.url}/readyz`)).status).toBe(404);
  });

  it('the SLO and cause metrics (issue 14): workers up, outbox age, ticks late by 2 intervals, query errors, decisions, deliveries', async () => {
    const metrics = new WorkersMetrics();
    const text = () => metrics.registry.metrics();
    const labelled = (t: string, series: string) => {
      const line = t.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    let t = await text();
    expect(sample(t, 'flagship_workers_up')).toBe(1);
    // No outbox store yet (the database not reached): NaN, never a reassuring 0.
    expect(sample(t, 'flagship_outbox_oldest_pending_age_seconds')).toBeNaN();
    let oldest: number | undefined;
    metrics.watchOutbox({ oldestPendingAt: async () => oldest });
    expect(sample(await text(), 'flagship_outbox_oldest_pending_age_seconds')).toBe(0);
    oldest = Date.now() - 90_000;
    const age = sample(await text(), 'flagship_outbox_oldest_pending_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(100);
    metrics.watchOutbox({ oldestPendingAt: () => Promise.reject(new Error('database down')) });
    expect(sample(await text(), 'flagship_outbox_oldest_pending_age_seconds')).toBeNaN();

    metrics.tickStarted(0.2, 5);
    metrics.tickStarted(10, 5); // exactly 2 intervals: on time
    metrics.tickStarted(10.5, 5); // late
    metrics.analysisQuery('ok', 0.02);
    metrics.analysisQuery('timeout', 10);
    metrics.rolloutDecision('p.prod', 'advance');
    metrics.rolloutDecision('p.prod', 'rollback');
    metrics.webhookDelivery('delivered');
    metrics.webhookDelivery('failed');
    metrics.publisherFailed();
    t = await text();
    expect(sample(t, 'flagship_rollout_ticks_total')).toBe(3);
    expect(sample(t, 'flagship_rollout_ticks_late_total')).toBe(1);
    expect(labelled(t, 'flagship_rollout_tick_lag_seconds_bucket{le="1"}')).toBe(1);
    expect(labelled(t, 'flagship_rollout_tick_lag_seconds_count')).toBe(3);
    expect(labelled(t, 'flagship_analysis_query_duration_seconds_count{outcome="error"}')).toBe(1);
    expect(labelled(t, 'flagship_analysis_query_errors_total{reason="timeout"}')).toBe(1);
    expect(labelled(t, 'flagship_rollout_decisions_total{environment="p.prod",decision="rollback"}')).toBe(1);
    expect(labelled(t, 'flagship_webhook_deliveries_total{outcome="failed"}')).toBe(1);
    expect(sample(t, 'flagship_publisher_errors_total')).toBe(1);
  });

  it('the publisher: a failed pass is counted, the outbox age read from the database, and a write -> served observation on a real evaluator', async () => {
    const prefix = uniquePrefix();
    const r = testRedis(prefix);
    cleanups.push(() => r.cleanup());
    const t = await createTestDatabase('sqlite');
    cleanups.push(() => t.drop());
    await runPropagationMigrations(t.db);
    const [env] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('a')] });
    const sdkKey = await createSdkKey(t.db, env!);
    const metrics = new WorkersMetrics();
    const value = async (series: string) => {
      const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };

    // A change committed 30 s ago (its outbox row's createdAt), while Redis cannot be reached.
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: false }));
    await t.db
      .updateTable('outbox')
      .set({ created_at: new Date(Date.now() - 30_000).toISOString() })
      .execute();
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    cleanups.push(() => down.disconnect());
    const failing = new SnapshotPublisher({ db: t.db, redis: down, prefix, pollIntervalMs: 10, metrics });
    metrics.watchOutbox(failing);
    await failing.start();
    cleanups.push(() => failing.stop());
    await eventually(
      async () => ((await value('flagship_publisher_errors_total'))! >= 2 ? true : undefined),
      10_000,
      'failed publisher passes counted',
    );
    await failing.stop();
    const age = (await value('flagship_outbox_oldest_pending_age_seconds'))!;
    expect(age).toBeGreaterThanOrEqual(30);
    expect(age).toBeLessThan(60);

    // An evaluator following the real Redis; Redis reachable again: the row is published with its
    // commit time, and the evaluator observes commit -> served (30 s: over the SLO's 1 s).
    const dataDir = mkdtempSync(join(tmpdir(), 'fs-propagation-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const fleet = await startEvaluators({ count: 1, redisUrl: 'redis://127.0.0.1:6379', prefix, dataDirs: [dataDir] });
    cleanups.push(() => fleet.stop());
    const evaluatorSeries = async (series: string) => {
      const text = await (await fetch(`${fleet.adminUrls[0]}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const count = `evaluator_change_propagation_seconds_count{environment="${env}"}`;
    expect(await evaluatorSeries(count)).toBeUndefined();
    const healthy = new SnapshotPublisher({ db: t.db, redis: r.redis, prefix, pollIntervalMs: 10, metrics });
    metrics.watchOutbox(healthy);
    await healthy.start();
    cleanups.push(() => healthy.stop());
    await eventually(
      async () => ((await evaluate(fleet.urls[0]!, sdkKey, 'a')).status === 200 ? true : undefined),
      20_000,
    );
    expect(await eventually(() => evaluatorSeries(count), 10_000, 'a commit -> served observation')).toBe(1);
    expect(await evaluatorSeries(`evaluator_change_propagation_seconds_bucket{le="10",environment="${env}"}`)).toBe(0);
    expect(await evaluatorSeries(`evaluator_change_propagation_seconds_bucket{le="60",environment="${env}"}`)).toBe(1);
    // Drained: the gauge reads 0 (empty), not the last age.
    expect(await value('flagship_outbox_oldest_pending_age_seconds')).toBe(0);

    // A change committed now is served within the SLO's second (the publisher paused while the
    // test helper's fixed createdAt is replaced by the time of the write).
    await healthy.stop();
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: true }));
    await t.db.updateTable('outbox').set({ created_at: new Date().toISOString() }).execute();
    await healthy.start();
    expect(await eventually(async () => ((await evaluatorSeries(count)) === 2 ? 2 : undefined), 10_000)).toBe(2);
    expect(await evaluatorSeries(`evaluator_change_propagation_seconds_bucket{le="1",environment="${env}"}`)).toBe(1);
  }, 120_000);

  it('a real workers process: its launcher gives it a free port, and a set-aside pending kill is counted on its /metrics', async () => {
    const prefix = uniquePrefix();
    const dir = mkdtempSync(join(tmpdir(), 'fs-workers-metrics-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => testRedis(prefix).cleanup());
    const stack: LocalStack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [],
      keyPrefix: prefix,
      dataDir: dir,
      adminToken: `fsk_test_${randomBytes(16).toString('hex')}`,
      privateRedisFallback: false,
      supervisor: { echo: false },
    });
    cleanups.push(() => stack.stop());
    expect(stack.workersMetricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.workers.lastLines.join('\n')).toContain(`workers: metrics on ${stack.workersMetricsUrl}/metrics`);
    const second = await stack.startWorkers();
    expect(second.metricsUrl).not.toBe(stack.workersMetricsUrl);
    await eventually(
      async () => (await fetch(`${second.metricsUrl}/healthz`).catch(() => undefined))?.status === 200 || undefined,
      60_000,
      'the second workers process answering /healthz',
    );
    expect((await fetch(`${stack.workersMetricsUrl}/healthz`)).status).toBe(200);
    const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
    const counted = async () => {
      const texts = await Promise.all([stack.workersMetricsUrl, second.metricsUrl].map(scrape));
      return texts.map((t) => sample(t, 'flagship_kill_pending_invalid_total') ?? Number.NaN);
    };
    expect(await counted()).toEqual([0, 0]);
    expect(sample(await scrape(stack.workersMetricsUrl), 'flagship_workers_up')).toBe(1);

    const r = testRedis(prefix);
    cleanups.push(() => r.redis.quit());
    await r.redis.hset(redisKeys(prefix).pendingKills, 'torn', '{"id":"torn","projectKey":"p","flag');
    // One of the two reconcilers (they share a lock) sets it aside; both report what is set aside now.
    const totals = await eventually(
      async () => {
        const c = await counted();
        return c[0]! + c[1]! === 1 ? c : undefined;
      },
      20_000,
      'the set-aside kill counted on one process',
    );
    expect(totals.sort()).toEqual([0, 1]);
    for (const url of [stack.workersMetricsUrl, second.metricsUrl])
      expect(sample(await scrape(url), 'flagship_kill_pending_invalid')).toBe(1);
    expect(await r.redis.hget(redisKeys(prefix).invalidPendingKills, 'torn')).toBe(
      '{"id":"torn","projectKey":"p","flag',
    );
  }, 180_000);
});
