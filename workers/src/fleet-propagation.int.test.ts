/**
 * End to end through real processes: changes committed with their outbox row -> the publisher
 * -> Redis -> a fleet of evaluator processes (evaluator/src/server) -> their SSE subscribers.
 * The database is a SQLite temp file (these tests are about Redis and the fleet); Redis is the
 * shared one under a unique prefix, or, where Redis must go down, a private redis-server on a
 * spare port (never the shared 6379).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPropagationMigrations } from '@flagship/controller';
import { createTestDatabase, type TestDatabase } from '@flagship/controller/testing';
import { redisKeys } from '@flagship/evaluator/propagation';
import { type PrivateRedis, startPrivateRedis } from '../../scripts/stack/redis-server.ts';
import { subscribeSnapshots, type SseSubscription } from '../../scripts/stack/sse-client.ts';
import { SnapshotPublisher } from './publisher/snapshot-publisher.ts';
import { createRedis } from './redis.ts';
import { sweepOnce } from './sweep/propagation-sweep.ts';
import { createSdkKey, evaluate, type Fleet, readyVersion, startEvaluators } from './test-support/evaluator-fleet.ts';
import {
  booleanFlag,
  changeConfig,
  eventually,
  outboxCount,
  REDIS_URL,
  seed,
  testRedis,
  uniquePrefix,
} from './test-support/fixtures.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fleet propagation', () => {
  let t: TestDatabase;
  let dir: string;
  let prefix: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    t = await createTestDatabase('sqlite');
    await runPropagationMigrations(t.db);
    dir = mkdtempSync(join(tmpdir(), 'fs-fleet-'));
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) {
      const started = Date.now();
      await c().catch(() => {});
      if (process.env.DEBUG_CLEANUP) console.log('cleanup', c.toString().slice(0, 60), Date.now() - started);
    }
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('1,000 rapid changes: every evaluator converges on the last version, and none ever goes back to an older one', async () => {
    const r = testRedis(prefix);
    cleanups.push(() => r.cleanup());
    const [env] = await seed(t.db, { flags: [booleanFlag('a')] });
    const sdkKey = await createSdkKey(t.db, env!);
    const publisher = new SnapshotPublisher({ db: t.db, redis: r.redis, prefix });
    await publisher.start();
    cleanups.push(() => publisher.stop());
    await changeConfig(t.db, env!, 'a', (c) => c);
    const fleet = await startEvaluators({
      count: 2,
      redisUrl: REDIS_URL,
      prefix,
      dataDirs: [join(dir, 'e1'), join(dir, 'e2')],
    });
    cleanups.push(() => fleet.stop());
    await eventually(
      async () =>
        (await Promise.all(fleet.adminUrls.map((u) => readyVersion(u, env!)))).every((x) => x.version !== undefined) ||
        undefined,
      20_000,
      'evaluators loading the environment',
    );

    // Observers: two SSE subscribers per evaluator, and a /readyz poller per evaluator.
    const streams: Array<{ url: string; versions: number[] }> = [];
    const subs: SseSubscription[] = [];
    for (const url of [...fleet.urls, ...fleet.urls]) {
      const seen = { url, versions: [] as number[] };
      streams.push(seen);
      subs.push(subscribeSnapshots(`${url}/v1/stream`, sdkKey, (v) => seen.versions.push(v)));
    }
    cleanups.push(async () => subs.forEach((s) => s.close()));
    await Promise.all(subs.map((s) => s.opened));
    const polled = fleet.urls.map(() => [] as number[]);
    let polling = true;
    const pollers = fleet.adminUrls.map(async (url, i) => {
      while (polling) {
        const v = (await readyVersion(url, env!)).version;
        if (v !== undefined) polled[i]!.push(v);
        await sleep(15);
      }
    });

    const N = 1_000;
    let lastVariant = 'on';
    for (let i = 0; i < N; i++) {
      lastVariant = i % 2 === 0 ? 'off' : 'on';
      await changeConfig(t.db, env!, 'a', (c) => ({ ...c, defaultRule: { variant: lastVariant } }));
      if (i % 25 === 0) await sleep(1); // let the observers' responses in
    }
    await eventually(async () => (await outboxCount(t.db)) === 0 || undefined, 30_000, 'the outbox drained');
    const final = Number(await r.redis.get(redisKeys(prefix).version(env!)));
    await eventually(
      async () =>
        (await Promise.all(fleet.adminUrls.map((u) => readyVersion(u, env!)))).every((x) => x.version === final) ||
        undefined,
      10_000,
      `every evaluator at version ${final}`,
    );
    await eventually(
      () => streams.every((s) => s.versions.at(-1) === final) || undefined,
      5_000,
      'every stream at the final version',
    );
    polling = false;
    await Promise.all(pollers);

    for (const url of fleet.urls) {
      expect(await evaluate(url, sdkKey, 'a')).toMatchObject({ status: 200, value: lastVariant === 'on' });
    }
    for (const s of streams) {
      // Strictly increasing: never the same version twice, never an older one after a newer one.
      for (let k = 1; k < s.versions.length; k++)
        expect(s.versions[k]!, `${s.url} stream: ${s.versions.slice(k - 1, k + 1)}`).toBeGreaterThan(
          s.versions[k - 1]!,
        );
    }
    for (const seq of polled) {
      expect(seq.length).toBeGreaterThan(3);
      for (let k = 1; k < seq.length; k++) expect(seq[k]!).toBeGreaterThanOrEqual(seq[k - 1]!);
    }
  });

  describe('Redis outages (a private redis-server on a spare port)', () => {
    let redis: PrivateRedis;
    beforeEach(async () => {
      redis = await startPrivateRedis();
      cleanups.push(() => redis.stop());
    });

    it('Redis restarted mid-run: evaluators keep serving last-known-good, then catch up; an evaluator started while Redis is down serves its disk copy', async () => {
      const [prod, dev] = await seed(t.db, { envs: ['prod', 'dev'], flags: [booleanFlag('a')] });
      const sdkKey = await createSdkKey(t.db, prod!);
      const commands = createRedis(redis.url);
      const sub = createRedis(redis.url, { maxRetriesPerRequest: null });
      for (const c of [commands, sub]) c.on('error', () => {});
      cleanups.push(async () => {
        commands.disconnect();
        sub.disconnect();
      });
      const publisher = new SnapshotPublisher({ db: t.db, redis: commands, subscriber: sub, prefix });
      await publisher.start();
      cleanups.push(() => publisher.stop());
      await changeConfig(t.db, prod!, 'a', (c) => ({ ...c, defaultRule: { variant: 'off' } }));
      await changeConfig(t.db, dev!, 'a', (c) => c);
      const fleet: Fleet = await startEvaluators({
        count: 2,
        redisUrl: redis.url,
        prefix,
        dataDirs: [join(dir, 'e1'), join(dir, 'e2')],
      });
      cleanups.push(() => fleet.stop());
      await eventually(
        async () =>
          (await Promise.all(fleet.urls.map((u) => evaluate(u, sdkKey, 'a')))).every((s) => s.value === false) ||
          undefined,
        20_000,
        'the fleet serving off',
      );
      const before = (await readyVersion(fleet.adminUrls[0]!, prod!)).version!;

      await redis.stop();
      // Down: the fleet answers from memory, the change made now waits in the outbox.
      await changeConfig(t.db, prod!, 'a', (c) => ({ ...c, defaultRule: { variant: 'on' } }));
      for (let k = 0; k < 5; k++) {
        for (const url of fleet.urls)
          expect(await evaluate(url, sdkKey, 'a')).toMatchObject({ status: 200, value: false });
        await sleep(100);
      }
      expect(await outboxCount(t.db)).toBe(1);

      // An evaluator started now, with a copy of a fleet member's disk, serves from disk.
      cpSync(join(dir, 'e1'), join(dir, 'e3'), { recursive: true });
      const late = await startEvaluators({ count: 1, redisUrl: redis.url, prefix, dataDirs: [join(dir, 'e3')] });
      cleanups.push(() => late.stop());
      await eventually(
        async () => (await evaluate(late.urls[0]!, sdkKey, 'a')).status === 200 || undefined,
        15_000,
        'the late evaluator serving',
      );
      expect(await evaluate(late.urls[0]!, sdkKey, 'a')).toMatchObject({ status: 200, value: false });
      expect(await readyVersion(late.adminUrls[0]!, prod!)).toMatchObject({ version: before, source: 'disk' });

      // Back, empty (no persistence): the waiting change goes out with a higher version than any
      // served before, and the sweep restores the environment that had no change.
      redis = await startPrivateRedis({ port: redis.port });
      cleanups.push(() => redis.stop());
      const all = [...fleet.urls, ...late.urls];
      await eventually(
        async () =>
          (await Promise.all(all.map((u) => evaluate(u, sdkKey, 'a')))).every((s) => s.value === true) || undefined,
        20_000,
        'every evaluator serving the change made during the outage',
      );
      for (const url of [...fleet.adminUrls, ...late.adminUrls])
        expect((await readyVersion(url, prod!)).version!).toBeGreaterThan(before);
      const check = testRedis(prefix, redis.url);
      cleanups.push(() => check.cleanup());
      await eventually(
        async () => (await check.redis.get(redisKeys(prefix).version(prod!))) !== null || undefined,
        10_000,
        'commands reconnected',
      );
      expect(await check.redis.exists(redisKeys(prefix).snapshot(dev!))).toBe(0);
      expect((await sweepOnce(t.db, publisher)).republished).toEqual([dev]);
      expect(await check.redis.exists(redisKeys(prefix).snapshot(dev!))).toBe(1);
    });
  });
});
