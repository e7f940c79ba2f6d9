/**
 * Deltas from the publisher (docs/architecture.md, "Deltas"), against the real Redis and both
 * databases: the first publish of an environment is in full; a change after it is a delta onto
 * the version Redis holds, carried inline by the change message, with the full snapshot left as it
 * was; an environment-wide row publishes in full again; after `compactAfter` deltas the full
 * snapshot is rewritten at the current version and the deltas it covers are dropped.
 */
import { runPropagationMigrations } from '@flagship/controller';
import { createTestDatabase, DIALECTS, type TestDatabase } from '@flagship/controller/testing';
import {
  type ChangeMessage,
  type EnvelopeDelta,
  readCurrentEnvelope,
  redisKeys,
  type SnapshotEnvelope,
} from '@flagship/evaluator/propagation';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { booleanFlag, changeConfig, eventually, seed, T0, testRedis, uniquePrefix } from '../test-support/fixtures.ts';
import { SnapshotPublisher } from './snapshot-publisher.ts';

describe.each(DIALECTS)('delta publishing on %s', (dialect) => {
  let t: TestDatabase;
  let r: ReturnType<typeof testRedis>;
  let sub: ReturnType<typeof testRedis>;
  let keys: ReturnType<typeof redisKeys>;
  let prefix: string;
  const messages: ChangeMessage[] = [];

  beforeEach(async () => {
    t = await createTestDatabase(dialect);
    await runPropagationMigrations(t.db);
    prefix = uniquePrefix();
    r = testRedis(prefix);
    keys = redisKeys(prefix);
    messages.length = 0;
    sub = testRedis(prefix, undefined, { subscriber: true });
    sub.redis.on('message', (_c: string, m: string) => messages.push(JSON.parse(m) as ChangeMessage));
    await sub.redis.subscribe(keys.changes);
  });
  afterEach(async () => {
    await sub.cleanup();
    await r.cleanup();
    await t.drop();
  });

  const full = async (env: string) => JSON.parse((await r.redis.get(keys.snapshot(env)))!) as SnapshotEnvelope;
  const deltas = async (env: string) =>
    (await r.redis.zrange(keys.deltas(env), 0, -1)).map((m) => JSON.parse(m) as EnvelopeDelta);

  it('publishes in full first, then each change as a delta onto the version Redis holds', async () => {
    const [env] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('a'), booleanFlag('b')] });
    const p = new SnapshotPublisher({ db: t.db, redis: r.redis, prefix });
    await changeConfig(t.db, env!, 'a', (c) => ({ ...c, defaultRule: { variant: 'off' } }));
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'published', version: 1, rows: 1 }]);
    expect(await deltas(env!)).toEqual([]);

    await changeConfig(t.db, env!, 'b', (c) => ({ ...c, enabled: false }));
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'published', version: 2, rows: 1 }]);
    // The full snapshot is still version 1; the delta holds only flag b.
    expect((await full(env!)).snapshot.version).toBe(1);
    const [entry] = await deltas(env!);
    expect(entry!.delta).toMatchObject({ environment: env, base: 1, version: 2, segments: {} });
    expect(Object.keys(entry!.delta.flags)).toEqual(['b']);
    expect(entry!.delta.flags.b).toMatchObject({ key: 'b', enabled: false });
    expect(entry!.committedAt).toBe(Date.parse(T0));
    // The message carries it inline, so a follower at version 1 needs no read.
    await eventually(() => (messages.length >= 2 ? true : undefined), 2_000, 'two change messages');
    expect(messages[0]).not.toHaveProperty('base');
    expect(messages[1]).toMatchObject({ type: 'snapshot', version: 2, base: 1, change: entry });
    // What a follower loading now serves: both changes.
    const current = (await readCurrentEnvelope(r.redis, keys, env!))!;
    expect(current.snapshot.version).toBe(2);
    expect(current.snapshot.flags.a?.defaultRule).toEqual({ variant: 'off' });
    expect(current.snapshot.flags.b?.enabled).toBe(false);
  });

  it('a flag removed from the environment is a null in the delta; an environment-wide row publishes in full', async () => {
    const [env] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('a'), booleanFlag('b')] });
    const p = new SnapshotPublisher({ db: t.db, redis: r.redis, prefix });
    await changeConfig(t.db, env!, 'a', (c) => c);
    await p.drainOnce();
    await t.db.updateTable('flags').set({ archived: 1 }).where('key', '=', 'b').execute();
    const s = t.db;
    await s
      .insertInto('outbox')
      .values({ environment_id: env!, kind: 'flag', entity_key: 'b', created_at: T0 })
      .execute();
    await p.drainOnce();
    expect((await deltas(env!)).map((d) => d.delta.flags)).toEqual([{ b: null }]);
    expect((await readCurrentEnvelope(r.redis, keys, env!))!.snapshot.flags).not.toHaveProperty('b');

    await s
      .insertInto('outbox')
      .values({ environment_id: env!, kind: 'environment', entity_key: null, created_at: T0 })
      .execute();
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'published', version: 3, rows: 1 }]);
    expect((await full(env!)).snapshot.version).toBe(3);
    expect(await deltas(env!)).toEqual([]);
  });

  it('an access row (keys, allowed origins) is a delta carrying the new key lists and no flag', async () => {
    const [env] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('a')] });
    const p = new SnapshotPublisher({ db: t.db, redis: r.redis, prefix });
    await changeConfig(t.db, env!, 'a', (c) => c);
    await p.drainOnce();
    await t.db
      .insertInto('outbox')
      .values({ environment_id: env!, kind: 'access', entity_key: null, created_at: T0 })
      .execute();
    expect(await p.drainOnce()).toEqual([{ environment: env, status: 'published', version: 2, rows: 1 }]);
    const [entry] = await deltas(env!);
    expect(entry!.delta.flags).toEqual({});
    expect(entry!.sdkKeyHashes).toEqual((await full(env!)).sdkKeyHashes);
    expect(entry!.clients).toMatchObject({ keyHashes: [], allowedOrigins: [] });
  });

  it('compacts after compactAfter deltas: the full snapshot at the current version, no deltas left, no message', async () => {
    const [env] = await seed(t.db, { envs: ['prod'], flags: [booleanFlag('a')] });
    const p = new SnapshotPublisher({ db: t.db, redis: r.redis, prefix, compactAfter: 3 });
    for (let i = 0; i < 4; i++) {
      await changeConfig(t.db, env!, 'a', (c) => ({ ...c, enabled: i % 2 === 0 }));
      await p.drainOnce();
    }
    // Version 1 in full, versions 2..4 as deltas: the third delta triggered the compaction.
    expect((await full(env!)).snapshot.version).toBe(4);
    expect((await full(env!)).snapshot.flags.a?.enabled).toBe(false);
    expect(await deltas(env!)).toEqual([]);
    await eventually(() => (messages.length >= 4 ? true : undefined), 2_000, 'four change messages');
    expect(messages.map((m) => m.type === 'snapshot' && m.version)).toEqual([1, 2, 3, 4]);
  });
});
