/**
 * The kill switch while the embedded SQLite database stays locked by another writer (as during a
 * long publisher or import write): past the busy bound every other write answers 503
 * DATABASE_BUSY, but the kill takes the Redis path (202), like during an outage, and the
 * reconciler writes it with its audit row once the lock is free. Real SQLite file, a real second
 * connection holding the lock, real Redis (a unique prefix), the real publisher and reconciler.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisEmergencyKill, runPropagationMigrations } from '@flagship/controller';
import {
  booleanFlag,
  onConfig,
  openSqliteConnection,
  seedProject,
  startTestServer,
  type TestServer,
} from '@flagship/controller/testing';
import { redisKeys } from '@flagship/evaluator/propagation';
import { SnapshotPublisher } from '../publisher/snapshot-publisher.ts';
import { eventually, testRedis, uniquePrefix } from '../test-support/fixtures.ts';
import { KillReconciler } from './kill-reconciler.ts';

const WAIT_LIMIT_MS = 600;

describe('kill switch on a busy SQLite database', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(c)
        .catch(() => {});
  });

  it('falls back to Redis (202) when the write lock stays taken past the bound, and is written with its audit row once it is free', async () => {
    const prefix = uniquePrefix();
    const r = testRedis(prefix);
    cleanups.push(() => r.cleanup());
    const t: TestServer = await startTestServer('sqlite', {
      hooks: { busyWaitLimitMs: WAIT_LIMIT_MS },
      emergencyKill: new RedisEmergencyKill(r.redis, prefix),
    });
    cleanups.push(() => t.close());
    const db = t.plane.db;
    await runPropagationMigrations(db);
    await seedProject(t, 'p', [{ key: 'prod' }]);
    expect((await t.request('POST', '/api/v1/projects/p/flags', { body: booleanFlag('checkout') })).status).toBe(201);
    const F = '/api/v1/projects/p/environments/prod/flags/checkout';
    const v = (await t.request('GET', F)).body.version as number;
    expect((await t.request('PUT', F, { body: { ...onConfig({ enabled: true }), version: v } })).status).toBe(200);

    // Redis must know the environment (a published snapshot) for the Redis path to kill in it.
    const publisher = new SnapshotPublisher({ db, redis: r.redis, prefix });
    await publisher.start();
    await eventually(
      async () => (await r.redis.sismember(redisKeys(prefix).environments, 'p.prod')) === 1 || undefined,
      15_000,
      'p.prod published',
    );
    await publisher.stop();

    const other = openSqliteConnection(t.database.config.sqliteFile);
    cleanups.push(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    other.prepare("UPDATE projects SET name = name WHERE key = 'p'").run();

    // Any other write is refused past the bound ...
    const put = await t.request('PUT', F, { body: { ...onConfig({ enabled: true }), version: v + 1 } });
    expect(put.status, put.text).toBe(503);
    expect(put.body.error).toMatchObject({ code: 'DATABASE_BUSY' });
    // ... but the kill goes through Redis.
    const killed = await t.request('POST', '/api/v1/projects/p/flags/checkout/kill', {
      body: { environments: ['prod'], reason: 'checkout errors spiking' },
    });
    expect(killed.status, killed.text).toBe(202);
    expect(killed.body).toMatchObject({
      results: [{ environment: 'p.prod', killed: true, via: 'redis' }],
      pendingId: expect.any(String),
    });
    expect(JSON.parse((await r.redis.hget(redisKeys(prefix).kills('p.prod'), 'checkout'))!)).toMatchObject({
      flag: 'checkout',
      reason: 'checkout errors spiking',
    });
    const pendingKey = redisKeys(prefix).pendingKills;
    expect(await r.redis.hlen(pendingKey)).toBe(1);
    // The process kept answering.
    expect((await t.request('GET', F)).status).toBe(200);

    other.exec('ROLLBACK');
    const reconciler = new KillReconciler({ db, redis: r.redis, prefix });
    expect(await reconciler.reconcileOnce()).toBe(1);
    expect(await r.redis.hlen(pendingKey)).toBe(0);
    const config = await t.request('GET', F);
    expect(config.body).toMatchObject({ enabled: false, version: v + 2 });
    const audit = await db.selectFrom('audit_log').selectAll().where('action', '=', 'kill').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.reason).toContain('checkout errors spiking');
    expect(audit[0]!.request_id).toBe(`emergency-kill:${killed.body.pendingId}`);
  });
});
