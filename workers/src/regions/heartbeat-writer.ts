/**
 * The home region's heartbeat: every second, `SET <prefix>heartbeat {"at": epochMs, "region":
 * "<REGION>"}` on the primary Redis. Replication carries it to every region's replica, where the
 * evaluators read it and report `now - at` as their replication staleness (docs/regions.md).
 * Every workers process writes it (the newest write wins; two writers a second apart change
 * nothing a reader can tell). Survives Redis outages: a failed write is logged once until one
 * succeeds again.
 */
import { redisKeys } from '@flagship/evaluator/propagation';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

export interface HeartbeatWriterOptions {
  redis: Redis;
  keyPrefix: string;
  /** The home region's label (REGION). */
  region: string;
  logger: Logger;
  /** Default 1000 ms. */
  intervalMs?: number;
  now?: () => number;
}

export class HeartbeatWriter {
  private readonly key: string;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private failing = false;
  /** Heartbeats written since start (tests). */
  written = 0;

  constructor(private readonly o: HeartbeatWriterOptions) {
    this.key = redisKeys(o.keyPrefix).heartbeat;
    this.now = o.now ?? Date.now;
  }

  /** Writes at once, then every interval. */
  start(): void {
    if (this.timer !== undefined) return;
    this.beat();
    this.timer = setInterval(() => this.beat(), this.o.intervalMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inflight;
  }

  private beat(): void {
    if (this.inflight !== undefined) return; // a write still hanging: the next period tries again
    this.inflight = this.write().finally(() => {
      this.inflight = undefined;
    });
  }

  private async write(): Promise<void> {
    try {
      await this.o.redis.set(this.key, JSON.stringify({ at: this.now(), region: this.o.region }));
      this.written++;
      if (this.failing) {
        this.failing = false;
        this.o.logger.info('workers: heartbeat written again', { key: this.key });
      }
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.o.logger.warn('workers: cannot write the heartbeat (far regions will see growing staleness)', {
          error: String(error),
        });
      }
    }
  }
}
