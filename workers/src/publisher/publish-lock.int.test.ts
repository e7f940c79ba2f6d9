import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedis, uniquePrefix } from '../test-support/fixtures.ts';
import { PublishLocks } from './publish-lock.ts';

describe('PublishLocks (real Redis)', () => {
  const prefix = uniquePrefix();
  let t: ReturnType<typeof testRedis>;
  let redis: Redis;
  let n = 0;
  const key = () => `${prefix}publish-lock:env-${n++}`;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(() => {
    t = testRedis(prefix);
    redis = t.redis;
  });
  afterAll(() => t.cleanup());

  it('one holder at a time; release frees it, and releasing twice is harmless', async () => {
    const locks = new PublishLocks(redis, { ttlMs: 2_000 });
    const k = key();
    const a = await locks.tryLock(k);
    expect(a?.held).toBe(true);
    expect(await locks.tryLock(k)).toBeUndefined();
    await a!.release();
    await a!.release();
    expect(await redis.exists(k)).toBe(0);
    const b = await locks.tryLock(k);
    expect(b).toBeDefined();
    await b!.release();
  });

  it('a live holder keeps its lock past the TTL (renewed); an orphan frees itself at its TTL', async () => {
    // 900 ms renewed every 300 ms: a renewal is missed only by an event loop stalled 600 ms.
    const locks = new PublishLocks(redis, { ttlMs: 900 });
    const k = key();
    const held = await locks.tryLock(k);
    await sleep(2_500);
    expect(held!.held).toBe(true);
    expect(await locks.tryLock(k)).toBeUndefined();
    await held!.release();

    // What a failover leaves: the lock on the promoted replica with a token whose holder never
    // renews nor releases it (a TTL as a publisher sets it).
    const orphan = key();
    await redis.set(orphan, 'a-dead-primary-s-holder', 'PX', 900);
    expect(await locks.tryLock(orphan)).toBeUndefined();
    let taken: Awaited<ReturnType<PublishLocks['tryLock']>>;
    for (let i = 0; i < 100 && taken === undefined; i++) {
      taken = await locks.tryLock(orphan);
      if (taken === undefined) await sleep(50);
    }
    expect(taken?.held).toBe(true);
    await taken!.release();
  });

  it('a SET NX answered nil for a key holding its own token is ours (ioredis resent a SET whose reply was lost)', async () => {
    const locks = new PublishLocks(redis, { ttlMs: 2_000 });
    const k = key();
    const realSet = redis.set.bind(redis) as (...args: unknown[]) => Promise<unknown>;
    // The first run wrote the key; the answer that came back is the resent command's nil.
    (redis as unknown as { set: (...args: unknown[]) => Promise<unknown> }).set = async (...args) => {
      await realSet(...args);
      return null;
    };
    let lock: Awaited<ReturnType<PublishLocks['tryLock']>>;
    try {
      lock = await locks.tryLock(k);
    } finally {
      delete (redis as unknown as { set?: unknown }).set;
    }
    expect(lock?.held).toBe(true);
    await lock!.release();
    expect(await redis.exists(k)).toBe(0);
  });

  it('a holder that lost its lock never renews nor releases the next holder’s', async () => {
    const locks = new PublishLocks(redis, { ttlMs: 300 });
    const k = key();
    const first = await locks.tryLock(k);
    // Lost: the key gone (as after a stall past the TTL) and another holder took it.
    await redis.del(k);
    await redis.set(k, 'next-holder', 'PX', 10_000);
    for (let i = 0; i < 100 && first!.held; i++) await sleep(20);
    expect(first!.held).toBe(false);
    await first!.release();
    expect(await redis.get(k)).toBe('next-holder');
    expect(await redis.pttl(k)).toBeGreaterThan(5_000);
  });

  it('refuses a TTL too short to renew', () => {
    expect(() => new PublishLocks(redis, { ttlMs: 10 })).toThrow(/ttlMs/);
  });
});
