/**
 * Reads the home region's heartbeat from the Redis the snapshot follower reads (this region's
 * replica) every second, and says how stale replication is (replication-status.ts): in
 * `/readyz`, in the metrics, and in one log line when it turns stale and one when it recovers.
 * It only observes: serving never depends on it (a cut-off region keeps serving its last
 * snapshot; docs/regions.md).
 */
import type { Redis } from 'ioredis';
import { redisKeys } from '../../propagation/index.ts';
import type { Logger } from '../logger.ts';
import { parseHeartbeat, replicationStatus, type ReplicationStatus } from './replication-status.ts';

export interface ReplicationMonitorOptions {
  region: string;
  /** EVALUATOR_STALE_AFTER_MS. */
  staleAfterMs: number;
  /** A connection of its own to the followed Redis; the monitor quits it on stop. */
  redis: Redis;
  keyPrefix: string;
  logger: Logger;
  /** Period of the heartbeat read (default 1000 ms: the workers write every second). */
  intervalMs?: number;
  now?: () => number;
}

/** The heartbeat reader; {@link status} is what `/readyz` and the metrics show. */
export class ReplicationMonitor {
  private readonly key: string;
  private readonly now: () => number;
  private readonly startedAt: number;
  private heartbeatAt: number | undefined;
  private connected = false;
  private wasStale = false;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(private readonly o: ReplicationMonitorOptions) {
    this.key = redisKeys(o.keyPrefix).heartbeat;
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
  }

  get region(): string {
    return this.o.region;
  }

  /** Reads at once, then every interval. */
  start(): void {
    if (this.timer !== undefined) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.o.intervalMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
    this.o.redis.disconnect();
  }

  status(now = this.now()): ReplicationStatus {
    return replicationStatus({
      region: this.o.region,
      heartbeatAt: this.heartbeatAt,
      startedAt: this.startedAt,
      now,
      staleAfterMs: this.o.staleAfterMs,
      connected: this.connected,
    });
  }

  /** One read (skipped while the previous one is in flight), then the stale transition check. */
  private tick(): void {
    if (this.reading === undefined) {
      this.reading = this.read().finally(() => {
        this.reading = undefined;
      });
    }
    this.noteTransition();
  }

  private async read(): Promise<void> {
    try {
      const beat = parseHeartbeat(await this.o.redis.get(this.key));
      this.connected = true;
      // The value as read, even if older than the last one (a failover to a lagging replica): the
      // staleness of what this Redis holds is what an operator needs to see.
      if (beat !== undefined) this.heartbeatAt = beat.at;
    } catch {
      this.connected = false; // the status says so; the follower logs its own Redis errors
    }
    this.noteTransition();
  }

  private noteTransition(): void {
    const s = this.status();
    if (s.stale === this.wasStale) return;
    this.wasStale = s.stale;
    const fields = { region: s.region, staleness_ms: s.staleness_ms, connected: s.connected };
    if (s.stale)
      this.o.logger.warn('replication stale: serving the last snapshot received from the home region', fields);
    else this.o.logger.info('replication current again', fields);
  }
}
