/**
 * The served-version reports against the real Redis: the entry, the hash's expiry, the pruning of
 * evaluators gone without a goodbye, the goodbye itself, and one log line for a Redis that is down.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../scripts/stack/redis-server.ts';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { redisFixture, waitFor, type RedisFixture } from '../test-support.ts';
import { ServedReporter } from './served-reporter.ts';

let fx: RedisFixture;
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await fx?.cleanup();
});

const ownRedis = (url = 'redis://127.0.0.1:6379') => {
  const r = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  r.on('error', () => {});
  return r;
};

describe('ServedReporter', () => {
  it('reports each environment, expires the hash, prunes entries older than the expiry, and says goodbye', async () => {
    fx = await redisFixture();
    const key = fx.keys.served('prod');
    await fx.redis.hset(key, 'far/dead', JSON.stringify({ version: 1, at: Date.now() - 120_000 }), 'far/junk', 'x');
    await fx.redis.hset(key, 'far/alive', JSON.stringify({ version: 4, at: Date.now() }));
    const redis = ownRedis();
    await new Promise((r) => redis.once('ready', r));
    let version = 4;
    const reporter = new ServedReporter({
      region: 'far',
      instanceId: 'me',
      redis,
      keyPrefix: fx.prefix,
      served: () => [{ environment: 'prod', version }],
      logger: silentLogger,
      intervalMs: 50,
    });
    reporter.start();
    stops.push(() => reporter.stop());
    await waitFor(async () => (await fx.redis.hget(key, 'far/me')) !== null, 2_000, 'the first report');
    expect(JSON.parse((await fx.redis.hget(key, 'far/me'))!)).toMatchObject({ version: 4 });
    const ttl = await fx.redis.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await waitFor(async () => (await fx.redis.hlen(key)) === 2, 2_000, 'the pruning');
    expect(Object.keys(await fx.redis.hgetall(key)).sort()).toEqual(['far/alive', 'far/me']);
    version = 5;
    reporter.report(); // a swap
    await waitFor(async () => JSON.parse((await fx.redis.hget(key, 'far/me'))!).version === 5, 2_000, 'version 5');
    await reporter.stop();
    expect(await fx.redis.hget(key, 'far/me')).toBeNull();
    expect(await fx.redis.hget(key, 'far/alive')).not.toBeNull();
  });

  it('logs a Redis it cannot reach once, however many reports fail', async () => {
    fx = await redisFixture();
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };
    const reporter = new ServedReporter({
      region: 'far',
      instanceId: 'cut',
      redis: ownRedis(`redis://127.0.0.1:${await freePort()}`),
      keyPrefix: fx.prefix,
      served: () => [{ environment: 'prod', version: 1 }],
      logger,
      intervalMs: 20,
    });
    reporter.start();
    stops.push(() => reporter.stop());
    await new Promise((r) => setTimeout(r, 300));
    expect(warnings).toEqual([expect.stringMatching(/cannot report served versions/)]);
  });
});
