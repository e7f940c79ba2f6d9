/**
 * Tells the home region which version of each environment this evaluator serves: on every swap
 * and every 2 s, `HSET <prefix>served:<env> <region>/<instanceId> {"version":V,"at":ms}` on the
 * home Redis (REDIS_URL or Sentinel: writable), the hash expiring a minute after the last report.
 * A rollout step's clock waits for these reports from every region in REGIONS
 * (controller/src/rollouts/region-serving.ts; docs/regions.md).
 *
 * Best effort: a write never delays serving (fire and forget, one in flight, a swap during it
 * coalesced into the next), and a failing home Redis (a partition) is logged once, not per write.
 */
import type { Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../../propagation/index.ts';
import type { Logger } from '../logger.ts';

/** What a report says about one environment. */
export interface ServedReport {
  environment: string;
  version: number;
}

export interface ServedReporterOptions {
  region: string;
  /** Random per process: two evaluators of one region are two entries. */
  instanceId: string;
  /** A connection of its own to the home Redis (no offline queue: a write fails at once when cut off). */
  redis: Redis;
  keyPrefix: string;
  /** What is served now. */
  served: () => ServedReport[];
  logger: Logger;
  /** Period of the full report (default 2000 ms). */
  intervalMs?: number;
  /** Expiry of each environment's hash after the last report (default 60 000 ms). */
  ttlMs?: number;
  now?: () => number;
}

/** Reports between two prunings of entries older than the hash's expiry (30 x 2 s: a minute). */
const PRUNE_EVERY = 30;

/** A report's `at`, or NaN when the entry is not a report (pruned like an old one). */
function reportedAt(text: string): number {
  try {
    const at = (JSON.parse(text) as { at?: unknown }).at;
    return typeof at === 'number' ? at : NaN;
  } catch {
    return NaN;
  }
}

/** The field of one evaluator in a `served:<env>` hash. */
export function servedField(region: string, instanceId: string): string {
  return `${region}/${instanceId}`;
}

export class ServedReporter {
  readonly field: string;
  private readonly keys: RedisKeys;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private again = false;
  private failing = false;
  private readonly reported = new Set<string>();
  private stopped = false;
  private reports = 0;

  constructor(private readonly o: ServedReporterOptions) {
    this.field = servedField(o.region, o.instanceId);
    this.keys = redisKeys(o.keyPrefix);
    this.now = o.now ?? Date.now;
  }

  /** Reports at once, then every interval. */
  start(): void {
    if (this.timer !== undefined) return;
    this.report();
    this.timer = setInterval(() => this.report(), this.o.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** Schedules a report of everything served (a swap calls it); returns at once. */
  report(): void {
    if (this.stopped) return;
    if (this.inflight !== undefined) {
      this.again = true;
      return;
    }
    this.inflight = this.write().finally(() => {
      this.inflight = undefined;
      if (this.again) {
        this.again = false;
        this.report();
      }
    });
  }

  /** Stops reporting and removes this evaluator's entries (best effort), so it stops counting at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inflight;
    if (this.reported.size > 0 && this.o.redis.status === 'ready') {
      const p = this.o.redis.pipeline();
      for (const env of this.reported) p.hdel(this.keys.served(env), this.field);
      await p.exec().catch(() => undefined);
    }
    this.o.redis.disconnect();
  }

  private async prune(served: readonly ServedReport[], before: number): Promise<void> {
    for (const s of served) {
      const key = this.keys.served(s.environment);
      const old = Object.entries(await this.o.redis.hgetall(key))
        .filter(([, text]) => !(reportedAt(text) >= before))
        .map(([field]) => field);
      if (old.length > 0) await this.o.redis.hdel(key, ...old);
    }
  }

  private async write(): Promise<void> {
    const served = this.o.served();
    if (served.length === 0) return;
    const at = this.now();
    const ttl = this.o.ttlMs ?? 60_000;
    const p = this.o.redis.pipeline();
    for (const s of served) {
      const key = this.keys.served(s.environment);
      p.hset(key, this.field, JSON.stringify({ version: s.version, at }));
      p.pexpire(key, ttl);
    }
    try {
      const results = (await p.exec()) ?? [];
      const failed = results.find(([e]) => e !== null)?.[0];
      if (failed) throw failed;
      for (const s of served) this.reported.add(s.environment);
      // Once every PRUNE_EVERY reports: drop the entries of evaluators gone without a goodbye (a
      // crash, a SIGKILL), which would otherwise stay in a hash the living keep refreshing.
      if (++this.reports % PRUNE_EVERY === 1) await this.prune(served, at - ttl);
      if (this.failing) {
        this.failing = false;
        this.o.logger.info('served versions reported to the home Redis again', { field: this.field });
      }
    } catch (e) {
      if (!this.failing) {
        this.failing = true;
        this.o.logger.warn('cannot report served versions to the home Redis (rollouts wait for this region)', {
          field: this.field,
          error: (e as Error)?.message ?? String(e),
        });
      }
    }
  }
}
