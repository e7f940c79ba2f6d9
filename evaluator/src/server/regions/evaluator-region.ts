/**
 * An evaluator's place in a multi-region deployment (docs/regions.md): which Redis its snapshot
 * follower reads (REDIS_READ_URL, this region's replica, or the home Redis), the replication
 * monitor behind `/readyz`'s `replication` and the `evaluator_replication_*` metrics, and the
 * served-version reports to the home Redis that rollouts wait for. main.ts wires it around the
 * server; tests and benchmarks use the same two calls.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisClientOptions, type RedisConnection } from '../../propagation/index.ts';
import type { EvaluatorConfig } from '../config.ts';
import type { EvaluatorServer } from '../evaluator-server.ts';
import type { Logger } from '../logger.ts';
import { ReplicationMonitor } from './replication-monitor.ts';
import { ServedReporter } from './served-reporter.ts';

/**
 * The configuration the server (and so its snapshot follower) gets: REDIS_READ_URL as its Redis,
 * without Sentinel, when set (a replica is read directly: Sentinel names primaries); otherwise
 * unchanged. Replicas relay PUBLISH to their own subscribers, so the follower's change messages
 * work on a replica as on the primary.
 */
export function followerConfig<C extends Partial<EvaluatorConfig>>(config: C): C {
  if (config.redisReadUrl === undefined) return config;
  return { ...config, redisUrl: config.redisReadUrl, redisSentinel: undefined };
}

/** The region's two loops around one server. */
export interface EvaluatorRegion {
  readonly monitor: ReplicationMonitor;
  readonly reporter: ServedReporter;
  /** Starts both loops (after the server started, so the first report carries the loaded versions). */
  start(): void;
  /** Stops both and closes their connections (before the server closes). */
  close(): Promise<void>;
}

type RegionSettings = Pick<
  EvaluatorConfig,
  'region' | 'redisReadUrl' | 'redisUrl' | 'redisSentinel' | 'keyPrefix' | 'staleAfterMs' | 'reconnectMaxMs'
>;

/**
 * Wires the monitor and the reporter to `server`: `config` is the evaluator's own (REDIS_URL the
 * home primary), not {@link followerConfig}'s. Registers the replication metrics and the
 * `/readyz` part on `server.metrics`; reports on every swap of `server.store`.
 */
export function attachRegion(server: EvaluatorServer, config: RegionSettings, logger: Logger): EvaluatorRegion {
  const connect = (target: RedisConnection) => {
    const client = new Redis(
      redisClientOptions(target, {
        // Fail at once while cut off (the loops retry on their own period), never queue.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: 2000,
        retryStrategy: (attempt: number) =>
          Math.min(config.reconnectMaxMs, 50 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2),
      }),
    );
    client.on('error', () => {}); // the monitor's status and the reporter's one log line say it
    return client;
  };
  const home: RedisConnection = { redisUrl: config.redisUrl, redisSentinel: config.redisSentinel };
  const read: RedisConnection =
    config.redisReadUrl === undefined ? home : { redisUrl: config.redisReadUrl, redisSentinel: undefined };
  const monitor = new ReplicationMonitor({
    region: config.region,
    staleAfterMs: config.staleAfterMs,
    redis: connect(read),
    keyPrefix: config.keyPrefix,
    logger,
  });
  const reporter = new ServedReporter({
    region: config.region,
    instanceId: randomBytes(6).toString('hex'),
    redis: connect(home),
    keyPrefix: config.keyPrefix,
    served: () => server.store.all().map((s) => ({ environment: s.environment, version: s.version })),
    logger,
  });
  server.metrics.watchReplication(monitor);
  server.store.onSwap(() => reporter.report());
  return {
    monitor,
    reporter,
    start() {
      monitor.start();
      reporter.start();
    },
    async close() {
      await Promise.all([monitor.stop(), reporter.stop()]);
    },
  };
}
