/**
 * The home region's heartbeat against the real Redis: written at once and every period as
 * `{"at","region"}` under the prefix, and it keeps going after Redis refused a write.
 */
import { redisKeys } from '@flagship/evaluator/propagation';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.ts';
import { testRedis, uniquePrefix } from '../test-support/fixtures.ts';
import { HeartbeatWriter } from './heartbeat-writer.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const waitFor = async (check: () => Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('HeartbeatWriter', () => {
  it('writes {"at","region"} at once and then every period, moving forward', async () => {
    const prefix = uniquePrefix();
    const fixture = testRedis(prefix);
    const { redis } = fixture;
    cleanups.push(() => fixture.cleanup());
    const writer = new HeartbeatWriter({
      redis,
      keyPrefix: prefix,
      region: 'us-east',
      logger: silentLogger,
      intervalMs: 50,
    });
    const key = redisKeys(prefix).heartbeat;
    const before = Date.now();
    writer.start();
    cleanups.unshift(() => writer.stop());
    await waitFor(async () => (await redis.get(key)) !== null, 2_000);
    const first = JSON.parse((await redis.get(key))!) as { at: number; region: string };
    expect(first.region).toBe('us-east');
    expect(first.at).toBeGreaterThanOrEqual(before);
    await waitFor(async () => (JSON.parse((await redis.get(key))!) as { at: number }).at > first.at, 2_000);
    expect(writer.written).toBeGreaterThanOrEqual(2);
  });

  it('a refused write is retried at the next period', async () => {
    const prefix = uniquePrefix();
    const fixture = testRedis(prefix);
    const { redis } = fixture;
    cleanups.push(() => fixture.cleanup());
    const key = redisKeys(prefix).heartbeat;
    let refusals = 2;
    const flaky = new Proxy(redis, {
      get(target, prop, receiver) {
        if (prop === 'set' && refusals > 0) {
          refusals--;
          return () => Promise.reject(new Error('refused'));
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const writer = new HeartbeatWriter({
      redis: flaky,
      keyPrefix: prefix,
      region: 'home',
      logger: silentLogger,
      intervalMs: 30,
    });
    writer.start();
    cleanups.unshift(() => writer.stop());
    await waitFor(async () => (await redis.get(key)) !== null, 2_000);
    expect(refusals).toBe(0);
    expect(JSON.parse((await redis.get(key))!)).toMatchObject({ region: 'home' });
  });
});
