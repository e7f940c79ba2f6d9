import { redisClientOptions, type RedisConnection } from '@flagship/evaluator/propagation';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * A client that reconnects with jittered exponential backoff (50 ms doubling to 2 s) and fails a
 * command after one reconnect attempt instead of queueing it forever: the caller's loop retries,
 * and a worker must notice an outage rather than hang in it. `connection` is the workers' config
 * (REDIS_URL, and Sentinel when REDIS_SENTINELS is set: ioredis then finds the primary and follows
 * a failover) or a bare URL (tests).
 */
export function createRedis(connection: RedisConnection | string, options: RedisOptions = {}): Redis {
  const target = typeof connection === 'string' ? { redisUrl: connection } : connection;
  return new Redis(
    redisClientOptions(target, {
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(2_000, 50 * 2 ** Math.min(times, 6)) * (0.5 + Math.random() / 2),
      lazyConnect: false,
      ...options,
    }),
  );
}
