/**
 * The safety net behind the fast path, as a BullMQ job scheduler (one job every
 * `intervalMs`, whichever worker process takes it): republishes any environment whose snapshot
 * Redis no longer holds (Redis restarted empty, a key was evicted or deleted by hand). The fast
 * path (outbox poll + wake-up) never waits for this. The scheduler is re-declared whenever the
 * Redis connection comes back, because a Redis that restarted empty lost it too.
 */
import type { Database } from '@flagship/controller';
import { redisClientOptions, redisKeys, type RedisSentinelSettings } from '@flagship/evaluator/propagation';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { type Logger, silentLogger } from '../logger.ts';
import type { SnapshotPublisher } from '../publisher/snapshot-publisher.ts';

export interface PropagationSweepOptions {
  db: Kysely<Database>;
  redisUrl: string;
  /** The workers' REDIS_SENTINELS settings; undefined: REDIS_URL's host. */
  redisSentinel?: RedisSentinelSettings | undefined;
  prefix: string;
  publisher: SnapshotPublisher;
  intervalMs: number;
  logger?: Logger;
}

const QUEUE = 'propagation-sweep';
const SCHEDULER = 'snapshot-sweep';

/** What one sweep found and did. */
export interface SweepResult {
  environments: number;
  republished: string[];
}

/** One pass: every environment in the database must have a snapshot in Redis. */
export async function sweepOnce(db: Kysely<Database>, publisher: SnapshotPublisher): Promise<SweepResult> {
  const envs = (await db.selectFrom('environments').select('environment_id').execute()).map((r) => r.environment_id);
  const missing = await publisher.writer.missingSnapshots(envs);
  const republished: string[] = [];
  for (const env of missing) {
    const r = await publisher.publishEnvironment(env);
    if (r.status === 'published') republished.push(env);
  }
  return { environments: envs.length, republished };
}

export class PropagationSweep {
  private readonly queueConnection: Redis;
  private readonly workerConnection: Redis;
  private queue: Queue | undefined;
  private worker: Worker | undefined;
  private readonly logger: Logger;

  constructor(private readonly o: PropagationSweepOptions) {
    if (!Number.isInteger(o.intervalMs) || o.intervalMs < 100)
      throw new Error(`PropagationSweep: intervalMs must be an integer >= 100, got ${o.intervalMs}`);
    this.logger = o.logger ?? silentLogger;
    // BullMQ needs connections that retry forever (maxRetriesPerRequest: null), through a failover too.
    const options = {
      maxRetriesPerRequest: null,
      retryStrategy: (t: number) => Math.min(2_000, 50 * 2 ** Math.min(t, 6)),
    };
    this.queueConnection = new Redis(redisClientOptions(o, options));
    this.workerConnection = new Redis(redisClientOptions(o, options));
  }

  async start(): Promise<void> {
    const prefix = redisKeys(this.o.prefix).sweepQueuePrefix;
    this.queue = new Queue(QUEUE, { connection: this.queueConnection, prefix });
    this.queue.on('error', () => {});
    this.worker = new Worker(
      QUEUE,
      async () => {
        const r = await sweepOnce(this.o.db, this.o.publisher);
        if (r.republished.length > 0)
          this.logger.info('sweep: republished snapshots missing from Redis', { environments: r.republished });
        return r;
      },
      {
        connection: this.workerConnection,
        prefix,
        concurrency: 1,
        removeOnComplete: { count: 10 },
        removeOnFail: { count: 10 },
      },
    );
    this.worker.on('error', () => {});
    this.worker.on('failed', (_job, error) =>
      this.logger.warn('sweep: failed; next run retries', { error: String(error) }),
    );
    const declare = () =>
      this.queue!.upsertJobScheduler(SCHEDULER, { every: this.o.intervalMs }, { name: 'sweep' })
        .then(() => this.queue!.add('sweep', {}, { removeOnComplete: true, removeOnFail: true }))
        .catch((error: unknown) =>
          this.logger.warn('sweep: cannot declare the schedule yet', { error: String(error) }),
        );
    // On every (re)connect: declare the schedule and sweep at once, so a Redis that came back
    // empty gets its snapshots back without waiting a whole interval.
    this.queueConnection.on('ready', () => void declare());
    if (this.queueConnection.status === 'ready') await declare();
  }

  async stop(): Promise<void> {
    await this.worker?.close().catch(() => {});
    await this.queue?.close().catch(() => {});
    this.queueConnection.disconnect();
    this.workerConnection.disconnect();
  }
}
