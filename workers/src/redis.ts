import { Redis, type RedisOptions } from 'ioredis';

/**
 * A client that reconnects with jittered exponential backoff (50 ms doubling to 2 s) and fails a
 * command after one reconnect attempt instead of queueing it forever: the caller's loop retries,
 * and a worker must notice an outage rather than hang in it.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(2_000, 50 * 2 ** Math.min(times, 6)) * (0.5 + Math.random() / 2),
    lazyConnect: false,
    ...options,
  });
}
