/**
 * The publisher against the real Redis and both databases (MariaDB in its own database, SQLite
 * in a temp file): one new version per drained change, outbox rows deleted only after Redis has
 * the snapshot, several publishers never publishing a version twice or out of order, and a crash
 * between the Redis write and the outbox delete losing nothing.
 */
import type { Redis } from 'ioredis';
import type { KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPropagationMigrations } from '@flagship/controller';
import {
  createTestDatabase,
  DIALECTS,
  openSqliteConnection,
  type SqliteConnection,
  type TestDatabase,
} from '@flagship/controller/testing';
import { type ChangeMessage, readCurrentEnvelope, redisKeys } from '@flagship/evaluator/propagation';
import {
  booleanFlag,
  changeConfig,
  eventually,
  outboxCount,
  seed,
  T0,
  testRedis,
  uniquePrefix,
} from '../test-support/fixtures.ts';
import { SnapshotPublisher } from './snapshot-publisher.ts';

describe.each(DIALECTS)('snapshot publisher on %s', (dialect) => {
  let t: TestDatabase;
  let prefix: string;
  let r: ReturnType<typeof testRedis>;
  let keys: ReturnType<typeof redisKeys>;
  const extra: Array<{ cleanup(): Promise<void> }> = [];
  const publishers: SnapshotPublisher[] = [];

  beforeEach(async () => {
    t = await createTestDatabase(dialect);
    await runPropagationMigrations(t.db);
    prefix = uniquePrefix();
    r = testRedis(prefix);
    keys = redisKeys(prefix);
  });
  afterEach(async () => {
    for (const p of publishers.splice(0)) await p.stop();
    for (const x of extra.splice(0)) await x.cleanup();
    await r.cleanup();
    await t.drop();
  });

  // The full snapshot with the deltas after it applied: what a follower loading now serves.
  const envelope = (env: string) => readCurrentEnvelope(r.redis, keys, env);
  const publisher = (extraOpts: Partial<ConstructorParameters<typeof SnapshotPublisher>[0]> = {}) => {
    const p = new SnapshotPublisher({ db: t.db, redis: r.redis, prefix, ...extraOpts });
    publishers.push(p);
    return p;
  };
  const subscribe = async (messages: ChangeMessage[]) => {
    const sub = testRedis(prefix, undefined, { subscriber: true });
    extra.push(sub);
    sub.redis.on('message', (_c: string, m: string) => messages.push(JSON.parse(m) as ChangeMessage));
    await sub.redis.subscribe(keys.changes);
  };

  it('publishes version N+1 per drained change, with the change in it, then deletes the outbox rows', async () => {
    const [env] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('a'), booleanFlag('b')] });
    const messages: ChangeMessage[] = [];
    await subscribe(messages);
    const p = publisher();
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, defaultRule: { variant: 'off' } }));
    expect(await outboxCount(t.db)).toBe(1);
    const out1 = await p.drainOnce();
    expect(out1).toEqual([{ environment: env, status: 'published', version: 1, rows: 1 }]);
    const e1 = await envelope(env!);
    expect(e1?.snapshot.version).toBe(1);
    expect(e1?.snapshot.flags.a?.defaultRule).toEqual({ variant: 'off' });
    expect(e1?.snapshot.flags.a?.version).toBe(2);
    // The envelope and the change message carry the drained row's commit time (its createdAt).
    expect(e1?.committedAt).toBe(Date.parse(T0));
    expect(await r.redis.get(keys.version(env!))).toBe('1');
    expect(await r.redis.smembers(keys.environments)).toEqual([env]);
    expect(await outboxCount(t.db)).toBe(0);

    await changeConfig(t.db, env!, 'b', (c) => ({ ...c, enabled: false }));
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, defaultRule: { variant: 'on' } }));
    // Two rows of one environment in one pass: one new version holding both changes.
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'published', version: 2, rows: 2 }]);
    const e2 = await envelope(env!);
    expect(e2?.snapshot.flags.b?.enabled).toBe(false);
    expect(e2?.snapshot.flags.a?.defaultRule).toEqual({ variant: 'on' });
    expect(await outboxCount(t.db)).toBe(0);
    expect(await p.drainOnce()).toEqual([]);
    await eventually(() => (messages.length >= 2 ? true : undefined), 2_000, 'two change messages');
    expect(messages.map((m) => m.type === 'snapshot' && m.committedAt)).toEqual([Date.parse(T0), Date.parse(T0)]);
    expect(messages.map((m) => m.type === 'snapshot' && [m.environment, m.version])).toEqual([
      [env, 1],
      [env, 2],
    ]);
  });

  it('publishes each environment separately and only the environments with rows', async () => {
    const [dev, prod] = await seed(t.db, { envs: ['dev', 'prod'] });
    const p = publisher();
    await changeConfig(t.db, prod!, 'a', (c) => ({ ...c, enabled: false }));
    expect((await p.drainOnce()).map((o) => o.environment)).toEqual([prod]);
    expect(await envelope(dev!)).toBeUndefined();
    expect((await envelope(prod!))?.snapshot.flags.a?.enabled).toBe(false);
  });

  it('a crash between the Redis write and the outbox delete loses nothing: the rows stay and the next pass republishes', async () => {
    const [env] = await seed(t.db);
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: false }));
    const crashing = publisher({
      hooks: {
        afterPublish: () => {
          throw new Error('crash after the Redis write');
        },
      },
    });
    await expect(crashing.publishEnvironment(env!, [{ id: 1, committedAt: Date.parse(T0) }])).rejects.toThrow(
      'crash after the Redis write',
    );
    expect((await envelope(env!))?.snapshot.version).toBe(1);
    expect(await outboxCount(t.db)).toBe(1);
    // The crashed process's lock was released in `finally`; a killed process's lock expires (TTL).
    const healthy = publisher();
    expect(await healthy.drainOnce()).toEqual([{ environment: env, status: 'published', version: 2, rows: 1 }]);
    expect((await envelope(env!))?.snapshot.flags.a?.enabled).toBe(false);
    expect(await outboxCount(t.db)).toBe(0);
  });

  it('a crash before the Redis write burns a version but loses nothing', async () => {
    const [env] = await seed(t.db);
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: false }));
    const crashing = publisher({
      hooks: {
        beforePublish: () => {
          throw new Error('crash before the Redis write');
        },
      },
    });
    await expect(crashing.drainOnce()).rejects.toThrow('crash before');
    expect(await envelope(env!)).toBeUndefined();
    expect(await outboxCount(t.db)).toBe(1);
    expect(await publisher().drainOnce()).toEqual([{ environment: env, status: 'published', version: 2, rows: 1 }]);
  });

  it('a killed publisher holding the lock delays publishing only until the lock expires', async () => {
    const [env] = await seed(t.db);
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: false }));
    await r.redis.set(`${prefix}publish-lock:${env}`, 'dead-process', 'PX', 300);
    const p = publisher();
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'locked' }]);
    await p.start();
    await eventually(
      async () => (await envelope(env!))?.snapshot.version === 1 || undefined,
      3_000,
      'publish after lock expiry',
    );
    expect(await outboxCount(t.db)).toBe(0);
  });

  it('versions survive Redis losing everything: the next version is still higher than any served before', async () => {
    const [env] = await seed(t.db);
    const p = publisher();
    for (let i = 0; i < 3; i++) {
      await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: !c.enabled }));
      await p.drainOnce();
    }
    expect((await envelope(env!))?.snapshot.version).toBe(3);
    await r.cleanup();
    r = testRedis(prefix);
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: !c.enabled }));
    const p2 = publisher({ redis: r.redis });
    expect(await p2.drainOnce()).toEqual([{ environment: env, status: 'published', version: 4, rows: 1 }]);
  });

  it('two publishers running at once publish every change, never a version twice, never out of order', async () => {
    const [env] = await seed(t.db);
    const messages: ChangeMessage[] = [];
    await subscribe(messages);
    const second = testRedis(prefix);
    extra.push(second);
    const a = publisher({ pollIntervalMs: 2 });
    const b = publisher({ pollIntervalMs: 2, redis: second.redis });
    await Promise.all([a.start(), b.start()]);
    const N = 150;
    let last = 0;
    for (let i = 0; i < N; i++) {
      last = await changeConfig(t.db, env!, 'a', (c) => ({
        ...c,
        defaultRule: { variant: i % 2 === 0 ? 'off' : 'on' },
      }));
      if (i % 10 === 0) await new Promise((res) => setTimeout(res, 3));
    }
    await eventually(
      async () =>
        ((await envelope(env!))?.snapshot.flags.a?.version === last && (await outboxCount(t.db)) === 0) || undefined,
      15_000,
      'the last change published',
    );
    await new Promise((res) => setTimeout(res, 100));
    const versions = messages.flatMap((m) => (m.type === 'snapshot' ? [m.version] : []));
    expect(versions.length).toBeGreaterThan(1);
    expect(new Set(versions).size).toBe(versions.length);
    expect([...versions].sort((x, y) => x - y)).toEqual(versions);
    // The snapshot content moves forward with the version: the flag's config version never drops.
    expect((await envelope(env!))?.snapshot.version).toBe(versions.at(-1));
  });

  it("a Redis holding another database's newer versions (a reset data folder) is moved past, not trusted", async () => {
    const [env] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('a')] });
    const p = publisher();
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, defaultRule: { variant: 'off' } }));
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'published', version: 1, rows: 1 }]);
    // An earlier database had published this environment up to version 50.
    const stale = (await envelope(env!))!;
    stale.snapshot.version = 50;
    stale.snapshot.flags.a!.defaultRule = { variant: 'on' };
    await r.redis.set(keys.snapshot(env!), JSON.stringify(stale));
    await r.redis.set(keys.version(env!), '50');
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: false }));
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'published', version: 51, rows: 1 }]);
    const served = (await envelope(env!))!;
    expect(served.snapshot.version).toBe(51);
    expect(served.snapshot.flags.a).toMatchObject({ enabled: false, defaultRule: { variant: 'off' } });
    expect(await outboxCount(t.db)).toBe(0);
  });

  it('an environment deleted from the database is removed from Redis', async () => {
    const [env] = await seed(t.db);
    const p = publisher();
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: false }));
    await p.drainOnce();
    await t.db.deleteFrom('flag_configs').execute();
    await t.db.deleteFrom('environments').execute();
    await t.db
      .insertInto('outbox')
      .values({ environment_id: env!, kind: 'environment', entity_key: null, created_at: '2025-01-01T00:00:00.000Z' })
      .execute();
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'unpublished', rows: 1 }]);
    expect(await envelope(env!)).toBeUndefined();
    expect(await r.redis.smembers(keys.environments)).toEqual([]);
  });
});

describe('snapshot publisher and the SQLite write lock', () => {
  let t: TestDatabase;
  let prefix: string;
  let r: ReturnType<typeof testRedis>;
  let other: SqliteConnection;

  beforeEach(async () => {
    t = await createTestDatabase('sqlite');
    await runPropagationMigrations(t.db);
    prefix = uniquePrefix();
    r = testRedis(prefix);
    // Another process's connection (the controller's) that never waits for the lock.
    other = openSqliteConnection(t.config.sqliteFile, { timeout: 0 });
  });
  afterEach(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await r.cleanup();
    await t.drop();
  });

  /** Could another connection take the write lock right now? */
  const lockIsFree = () => {
    try {
      other.exec('BEGIN IMMEDIATE');
      other.exec('ROLLBACK');
      return true;
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
      throw error;
    }
  };

  it('holds no write lock while it reads the environment to build a snapshot', async () => {
    const [env] = await seed(t.db, {
      envs: ['prod'],
      flags: Array.from({ length: 50 }, (_, i) => booleanFlag(`f${i}`)),
    });
    await changeConfig(t.db, env!, 'f1', (c) => ({ ...c, enabled: false }));
    // Looks at the lock at each statement that reads the snapshot's content.
    const seen: boolean[] = [];
    const probe: KyselyPlugin = {
      transformQuery(args) {
        if (
          args.node.kind === 'SelectQueryNode' &&
          /"(flags|flag_configs|segments)"/.test(JSON.stringify(args.node.from))
        )
          seen.push(lockIsFree());
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const p = new SnapshotPublisher({ db: t.db.withPlugin(probe), redis: r.redis, prefix });
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'published', version: 1, rows: 1 }]);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual(seen.map(() => true));
  });

  it('waits for a write lock another process holds, without failing the pass, and publishes', async () => {
    const [env] = await seed(t.db);
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: false }));
    other.exec('BEGIN IMMEDIATE');
    const pass = new SnapshotPublisher({ db: t.db, redis: r.redis, prefix }).drainOnce();
    await new Promise((res) => setTimeout(res, 300));
    other.exec('COMMIT');
    expect(await pass).toEqual([{ environment: env, status: 'published', version: 1, rows: 1 }]);
    expect(await outboxCount(t.db)).toBe(0);
  });
});

export type { Redis };
