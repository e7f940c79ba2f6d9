/**
 * The kill switch while the database is down, on the real MariaDB (its own database, reached
 * through a TCP proxy the test takes down) and the real Redis (a unique prefix), with two
 * evaluator processes: the kill route's database transaction fails with a connection error, the
 * fallback (controller/src/propagation/emergency-kill.ts) writes the kill to Redis, every
 * evaluator serves the flag DISABLED at once, and once the database answers again the
 * reconciler writes the kill with its audit row (the original actor), exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createControlPlaneOn,
  createDatabase,
  isDatabaseUnavailable,
  killWithRedisFallback,
  pendingKillAuditRequestId,
  RedisEmergencyKill,
  RedisRevocationNotes,
  type RequestContext,
  runPropagationMigrations,
} from '@flagship/controller';
import { createTestDatabase, type TestDatabase } from '@flagship/controller/testing';
import { redisKeys } from '@flagship/evaluator/propagation';
import { SnapshotPublisher } from '../publisher/snapshot-publisher.ts';
import { createSdkKey, evaluate, startEvaluators } from '../test-support/evaluator-fleet.ts';
import {
  booleanFlag,
  changeConfig,
  eventually,
  REDIS_URL,
  seed,
  testRedis,
  uniquePrefix,
} from '../test-support/fixtures.ts';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.ts';
import { WorkersMetrics } from '../metrics/workers-metrics.ts';
import { KillReconciler } from './kill-reconciler.ts';

describe('kill switch with the database down', () => {
  let t: TestDatabase;
  let proxy: TcpProxy;
  let dir: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    t = await createTestDatabase('mysql');
    await runPropagationMigrations(t.db);
    proxy = await startTcpProxy(3306);
    dir = mkdtempSync(join(tmpdir(), 'fs-kill-'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
    await proxy.close();
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Flag `checkout` on in `p.prod` and a publisher. The controller and the workers reach MariaDB
   * through the proxy the test can take down (`viaProxy`); the test's `t.db` does not.
   */
  async function proxiedPublisher() {
    const prefix = uniquePrefix();
    const r = testRedis(prefix);
    cleanups.push(() => r.cleanup());
    const [prod] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('checkout')] });
    const url = new URL(t.config.databaseUrl!);
    url.port = String(proxy.port);
    const viaProxy = createDatabase({ databaseUrl: url.toString(), sqliteFile: '', poolSize: 4 });
    cleanups.push(() => viaProxy.destroy());
    const publisher = new SnapshotPublisher({ db: viaProxy, redis: r.redis, prefix });
    await publisher.start();
    cleanups.push(() => publisher.stop());
    await changeConfig(t.db, prod!, 'checkout', (c) => c);
    return { prefix, r, prod, viaProxy, publisher };
  }

  /** proxiedPublisher() plus an SDK key and two evaluators serving the flag on. */
  async function proxiedFleet() {
    const { prefix, r, prod, viaProxy, publisher } = await proxiedPublisher();
    const sdkKey = await createSdkKey(t.db, prod!);
    const fleet = await startEvaluators({
      count: 2,
      redisUrl: REDIS_URL,
      prefix,
      dataDirs: [join(dir, `${prefix}1`), join(dir, `${prefix}2`)],
    });
    cleanups.push(() => fleet.stop());
    await eventually(
      async () =>
        (await Promise.all(fleet.urls.map((u) => evaluate(u, sdkKey, 'checkout')))).every((x) => x.value === true) ||
        undefined,
      20_000,
      'the fleet serving the flag on',
    );
    return { prefix, r, prod, sdkKey, viaProxy, publisher, fleet };
  }

  it('reaches every evaluator through Redis, and is written to the database with its audit row once it is back', async () => {
    const { prefix, r, prod, sdkKey, viaProxy, publisher, fleet } = await proxiedFleet();
    const plane = createControlPlaneOn(viaProxy, { log: () => {} });

    await proxy.down();
    const ctx: RequestContext = {
      actor: { keyId: 'k-oncall', name: 'on-call SRE', owner: 'on-call SRE', role: 'editor', environments: null },
      requestId: 'req-1',
    };
    const emergency = new RedisEmergencyKill(r.redis, prefix);
    const outcome = await killWithRedisFallback(
      () => plane.services.flags.kill(ctx, 'p', 'checkout', ['prod'], 'checkout errors spiking'),
      () =>
        emergency.kill({
          projectKey: 'p',
          flagKey: 'checkout',
          environments: ['prod'],
          actor: ctx.actor,
          reason: 'checkout errors spiking',
          requestId: ctx.requestId,
        }),
    );
    expect(outcome.via).toBe('redis');
    await eventually(
      async () =>
        (await Promise.all(fleet.urls.map((u) => evaluate(u, sdkKey, 'checkout')))).every(
          (s) => s.value === false && s.reason === 'DISABLED',
        ) || undefined,
      5_000,
      'every evaluator serving the flag DISABLED',
    );
    const pendingKey = redisKeys(prefix).pendingKills;
    expect(await r.redis.hlen(pendingKey)).toBe(1);

    const reconciler = new KillReconciler({
      db: viaProxy,
      redis: r.redis,
      prefix,
      intervalMs: 100,
      onApplied: () => publisher.poke(),
    });
    reconciler.start();
    cleanups.push(() => reconciler.stop());
    await new Promise((res) => setTimeout(res, 500));
    expect(await r.redis.hlen(pendingKey)).toBe(1); // still down: nothing lost, nothing written

    await proxy.up();
    await eventually(
      async () => (await r.redis.hlen(pendingKey)) === 0 || undefined,
      15_000,
      'the pending kill written',
    );
    const config = await t.db
      .selectFrom('flag_configs')
      .selectAll()
      .where('environment_id', '=', prod!)
      .where('flag_key', '=', 'checkout')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(config.config).enabled).toBe(false);
    expect(config.version).toBe(3);
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'kill').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor_key_id: 'k-oncall',
      actor_name: 'on-call SRE',
      environment_id: prod,
      flag_key: 'checkout',
    });
    expect(audit[0]!.reason).toContain('checkout errors spiking');
    expect(audit[0]!.request_id).toMatch(/^emergency-kill:/);
    // The published snapshot now has the flag disabled itself, so the Redis kill entry is gone
    // and the evaluators still serve it DISABLED.
    await eventually(
      async () => (await r.redis.hlen(redisKeys(prefix).kills(prod!))) === 0 || undefined,
      10_000,
      'the kill entry cleared by a snapshot',
    );
    for (const u of fleet.urls)
      expect(await evaluate(u, sdkKey, 'checkout')).toMatchObject({ value: false, reason: 'DISABLED' });
    // Re-running the reconciler for the same entry (a crash between COMMIT and HDEL) adds nothing.
    const id = audit[0]!.request_id!.slice('emergency-kill:'.length);
    expect(pendingKillAuditRequestId(id)).toBe(audit[0]!.request_id);
    await r.redis.hset(
      pendingKey,
      id,
      JSON.stringify({
        id,
        projectKey: 'p',
        flagKey: 'checkout',
        environmentIds: [prod],
        actor: ctx.actor,
        reason: 'x',
        at: new Date().toISOString(),
        requestId: null,
      }),
    );
    await eventually(
      async () => (await r.redis.hlen(pendingKey)) === 0 || undefined,
      10_000,
      'the replayed entry consumed',
    );
    expect(await t.db.selectFrom('audit_log').select('id').where('action', '=', 'kill').execute()).toHaveLength(1);
  });

  it('over the admin API: a key verified before the outage kills with the database down (202); everything else answers 503', async () => {
    const { prefix, r, prod, sdkKey, viaProxy, fleet } = await proxiedFleet();
    const plane = createControlPlaneOn(viaProxy, {
      log: () => {},
      emergencyKill: new RedisEmergencyKill(r.redis, prefix),
    });
    const token = 'oncall-admin-token-0123456789-abcdef';
    await plane.services.apiKeys.ensureAdmin(token);
    const server = plane.app.listen(0, '127.0.0.1');
    await new Promise((res) => server.once('listening', res));
    cleanups.push(
      () =>
        new Promise((res) => {
          server.closeAllConnections();
          server.close(res);
        }),
    );
    const api = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1`;
    const call = (method: string, path: string, body?: unknown, key = token) =>
      fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await call('GET', '/projects')).status).toBe(200); // the key is verified while the database answers

    await proxy.down();
    const killed = await call('POST', '/projects/p/flags/checkout/kill', {
      environments: ['prod'],
      reason: 'incident',
    });
    expect(killed.status).toBe(202);
    expect(await killed.json()).toMatchObject({
      results: [{ environment: prod, killed: true, via: 'redis' }],
      pendingId: expect.any(String),
    });
    await eventually(
      async () =>
        (await Promise.all(fleet.urls.map((u) => evaluate(u, sdkKey, 'checkout')))).every(
          (x) => x.reason === 'DISABLED',
        ) || undefined,
      5_000,
      'every evaluator serving the flag DISABLED',
    );
    expect((await call('GET', '/projects')).status).toBe(503);
    // A key nobody verified before the outage cannot be trusted now, not even to kill.
    expect(
      (
        await call(
          'POST',
          '/projects/p/flags/checkout/kill',
          { environments: ['prod'], reason: 'x' },
          'never-seen-token-0123456789',
        )
      ).status,
    ).toBe(503);
  });

  it('a revoked key, or one answered 401, no longer kills from memory during an outage (same or another controller process)', async () => {
    const { prefix, r, prod, viaProxy } = await proxiedPublisher();
    await eventually(
      async () => (await r.redis.sismember(redisKeys(prefix).environments, prod!)) === 1 || undefined,
      20_000,
      'the environment published',
    );
    // Two controller processes on one database and one Redis: A and B.
    const [a, b] = await Promise.all(
      ['A', 'B'].map(async () => {
        const plane = createControlPlaneOn(viaProxy, {
          log: () => {},
          emergencyKill: new RedisEmergencyKill(r.redis, prefix),
          revocationNotes: new RedisRevocationNotes(r.redis, prefix),
        });
        const server = plane.app.listen(0, '127.0.0.1');
        await new Promise((res) => server.once('listening', res));
        cleanups.push(
          () =>
            new Promise((res) => {
              server.closeAllConnections();
              server.close(res);
            }),
        );
        return { plane, api: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1` };
      }),
    );
    const admin: RequestContext = {
      actor: { keyId: 'system', name: 'test', owner: 'test', role: 'admin', environments: null },
      requestId: 'setup',
    };
    const mint = async (name: string) =>
      b!.plane.services.apiKeys.create(admin, { name, owner: name, role: 'editor', environments: null } as never);
    const call = (api: string, key: string, method = 'GET', path = '/projects', body?: unknown) =>
      fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const kill = (key: string) =>
      call(b!.api, key, 'POST', '/projects/p/flags/checkout/kill', { environments: ['prod'], reason: 'incident' });
    const [revokedHere, answered401, revokedElsewhere, trusted] = await Promise.all(
      ['revoked-here', 'answered-401', 'revoked-elsewhere', 'trusted'].map(mint),
    );
    for (const k of [revokedHere, answered401, revokedElsewhere, trusted])
      expect((await call(b!.api, k!.token)).status).toBe(200); // B verified each

    expect((await call(b!.api, trusted!.token, 'POST', `/api-keys/${revokedHere!.id}/revoke`)).status).toBe(403); // editors cannot; the service can
    await b!.plane.services.apiKeys.revoke(admin, revokedHere!.id);
    await a!.plane.services.apiKeys.revoke(admin, answered401!.id);
    expect((await call(b!.api, answered401!.token)).status).toBe(401);
    await a!.plane.services.apiKeys.revoke(admin, revokedElsewhere!.id);

    await proxy.down();
    expect((await kill(revokedHere!.token)).status).toBe(503);
    expect((await kill(answered401!.token)).status).toBe(503);
    expect((await kill(revokedElsewhere!.token)).status).toBe(503);
    expect(await r.redis.hlen(redisKeys(prefix).pendingKills)).toBe(0); // none of them reached Redis
    expect((await kill(trusted!.token)).status).toBe(202); // the path itself works
  });

  it('an unreadable pending kill is set aside (log line, counter) and the kills around it are written', async () => {
    const prefix = uniquePrefix();
    const r = testRedis(prefix);
    cleanups.push(() => r.cleanup());
    const [prod] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('a'), booleanFlag('b')] });
    const keys = redisKeys(prefix);
    const kill = (id: string, flagKey: string, at: string) =>
      JSON.stringify({
        id,
        projectKey: 'p',
        flagKey,
        environmentIds: [prod],
        actor: { keyId: 'k-oncall', name: 'on-call' },
        reason: 'incident',
        at,
        requestId: null,
      });
    await r.redis.hset(keys.pendingKills, {
      'kill-a': kill('kill-a', 'a', '2025-01-01T00:00:01.000Z'),
      torn: '{"id":"torn","projectKey":"p","flag', // a write cut short
      'not-a-kill': JSON.stringify({ id: 'not-a-kill', projectKey: 'p' }),
      'kill-b': kill('kill-b', 'b', '2025-01-01T00:00:03.000Z'),
    });
    const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
    const logger = Object.fromEntries(
      ['debug', 'info', 'warn', 'error'].map((level) => [
        level,
        (message: string, fields?: Record<string, unknown>) => lines.push({ level, message, fields }),
      ]),
    ) as never;
    const reconciler = new KillReconciler({ db: t.db, redis: r.redis, prefix, logger });

    expect(await reconciler.reconcileOnce()).toBe(2);
    const configs = await t.db
      .selectFrom('flag_configs')
      .selectAll()
      .where('environment_id', '=', prod!)
      .orderBy('flag_key')
      .execute();
    expect(configs.map((c) => [c.flag_key, JSON.parse(c.config).enabled])).toEqual([
      ['a', false],
      ['b', false],
    ]);
    expect(await r.redis.hlen(keys.pendingKills)).toBe(0);
    expect(await r.redis.hgetall(keys.invalidPendingKills)).toEqual({
      torn: '{"id":"torn","projectKey":"p","flag',
      'not-a-kill': JSON.stringify({ id: 'not-a-kill', projectKey: 'p' }),
    });
    const setAside = lines.filter((l) => l.message.includes('cannot be read'));
    expect(setAside.map((l) => [l.level, l.fields?.id]).sort()).toEqual([
      ['error', 'not-a-kill'],
      ['error', 'torn'],
    ]);
    expect(setAside.find((l) => l.fields?.id === 'torn')!.fields!.problem).toMatch(/^not JSON/);
    expect(reconciler.invalidPendingKills).toBe(2);
    const metrics = new WorkersMetrics(); // the registry the workers' /metrics serves
    metrics.watchKills(reconciler);
    expect(await metrics.registry.metrics()).toContain('\nflagship_kill_pending_invalid_total 2\n');
    expect(
      await t.db
        .selectFrom('audit_log')
        .select('request_id')
        .where('action', '=', 'kill')
        .orderBy('request_id')
        .execute(),
    ).toEqual([
      { request_id: pendingKillAuditRequestId('kill-a') },
      { request_id: pendingKillAuditRequestId('kill-b') },
    ]);
    // Nothing left to trip over: the next round is quiet.
    expect(await reconciler.reconcileOnce()).toBe(0);
  });

  it('only connection failures fall back to Redis; a refused kill (NOT_FOUND, a 404 over HTTP) does not', async () => {
    const prefix = uniquePrefix();
    const r = testRedis(prefix);
    cleanups.push(() => r.cleanup());
    await seed(t.db);
    const plane = createControlPlaneOn(t.db, { log: () => {} });
    const ctx: RequestContext = {
      actor: { keyId: 'k', name: 'n', owner: 'n', role: 'editor', environments: null },
      requestId: 'r',
    };
    const emergency = new RedisEmergencyKill(r.redis, prefix);
    await expect(
      killWithRedisFallback(
        () => plane.services.flags.kill(ctx, 'p', 'no-such-flag', ['prod'], 'x'),
        () =>
          emergency.kill({
            projectKey: 'p',
            flagKey: 'no-such-flag',
            environments: ['prod'],
            actor: ctx.actor,
            reason: 'x',
          }),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await r.redis.hlen(redisKeys(prefix).pendingKills)).toBe(0);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(
      isDatabaseUnavailable(
        new Error('x', { cause: Object.assign(new Error('y'), { code: 'PROTOCOL_CONNECTION_LOST' }) }),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ER_DUP_ENTRY' }))).toBe(false);
  });
});
