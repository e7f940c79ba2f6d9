/**
 * Writes kills made through Redis while the database was down (the controller's RedisEmergencyKill)
 * into the database once it answers, through the controller's `writePendingKill`: per environment
 * the flag's config is disabled with its version bumped, an audit row names the original actor and
 * reason, and an outbox row makes the publisher ship a snapshot with the flag disabled (which
 * clears the `kills` hash entry). One transaction per pending kill; the pending entry is removed
 * after COMMIT. The audit row's request id `emergency-kill:<id>` makes a retry after a crash
 * between COMMIT and the removal a no-op instead of a second audit row. An entry that cannot be read
 * (not JSON, or not a kill) is moved to `pending-kills:bad` with a log line and a counter (on the
 * workers' /metrics), so it never blocks the kills queued behind it.
 */
import {
  type Database,
  isDatabaseUnavailable,
  parsePendingKill,
  type PendingKill,
  writePendingKill,
} from '@flagship/controller';
import { redisKeys, type RedisKeys } from '@flagship/evaluator/propagation';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { type Logger, silentLogger } from '../logger.ts';
import { PublishLocks } from '../publisher/publish-lock.ts';

export interface KillReconcilerOptions {
  db: Kysely<Database>;
  redis: Redis;
  prefix: string;
  /** How often to look for pending kills (one HLEN). */
  intervalMs?: number;
  logger?: Logger;
  now?: () => Date;
  /** Called after a kill was committed, so the publisher can go at once. */
  onApplied?: (environmentIds: string[]) => void;
}

export class KillReconciler {
  private readonly keys: RedisKeys;
  /** The round's lock: short TTL renewed while held, so a failover cannot orphan it for long (publish-lock.ts). */
  private readonly locks: PublishLocks;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private failing = false;
  private invalidTotal = 0;
  private readonly o: Required<Omit<KillReconcilerOptions, 'onApplied'>> & Pick<KillReconcilerOptions, 'onApplied'>;

  constructor(options: KillReconcilerOptions) {
    this.o = { intervalMs: 1_000, logger: silentLogger, now: () => new Date(), ...options };
    if (!Number.isInteger(this.o.intervalMs) || this.o.intervalMs < 1)
      throw new Error(`KillReconciler: intervalMs must be a positive integer, got ${this.o.intervalMs}`);
    this.keys = redisKeys(options.prefix);
    this.locks = new PublishLocks(options.redis);
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.reconcileOnce()
        .then(() => {
          if (this.failing) this.o.logger.info('kill reconciler: database reachable again, pending kills written');
          this.failing = false;
        })
        .catch((error: unknown) => {
          if (!this.failing)
            this.o.logger.warn('kill reconciler: cannot write pending kills yet; will retry', { error: String(error) });
          this.failing = true;
        })
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.o.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
    await this.running;
  }

  /**
   * Applies every pending kill, oldest first; returns how many were written. An entry that
   * cannot be read is moved to the `pending-kills:bad` hash (logged, counted) instead of
   * stopping the kills behind it; one the database refuses for another reason than being
   * unreachable stays pending and the rest still go (the round then fails, logged once).
   */
  async reconcileOnce(): Promise<number> {
    if ((await this.o.redis.hlen(this.keys.pendingKills)) === 0) return 0;
    const lock = await this.locks.tryLock(this.keys.killReconcileLock);
    if (lock === undefined) return 0;
    try {
      const raw = await this.o.redis.hgetall(this.keys.pendingKills);
      const pending: PendingKill[] = [];
      for (const [id, json] of Object.entries(raw)) {
        const read = parsePendingKill(id, json);
        if ('kill' in read) pending.push(read.kill);
        else await this.setAside(id, json, read.problem);
      }
      pending.sort((a, b) => a.at.localeCompare(b.at));
      let applied = 0;
      const refused: Array<{ id: string; error: string }> = [];
      for (const kill of pending) {
        try {
          await this.apply(kill);
        } catch (error) {
          if (isDatabaseUnavailable(error)) throw error; // the next ones would fail the same way
          refused.push({ id: kill.id, error: String(error) });
          continue;
        }
        await this.o.redis.hdel(this.keys.pendingKills, kill.id);
        this.o.onApplied?.(kill.environmentIds);
        this.o.logger.info('kill reconciler: kill written to the database', {
          id: kill.id,
          flag: kill.flagKey,
          environments: kill.environmentIds,
          actor: kill.actor.name,
        });
        applied++;
      }
      if (refused.length > 0)
        throw new Error(
          `${refused.length} pending kill(s) refused by the database, kept pending (${applied} written): ${JSON.stringify(refused)}`,
        );
      return applied;
    } finally {
      await lock.release();
    }
  }

  /**
   * How many unreadable pending kills this process set aside: `flagship_kill_pending_invalid_total`
   * on the workers' /metrics (metrics/workers-metrics.ts, docs/operations.md).
   */
  get invalidPendingKills(): number {
    return this.invalidTotal;
  }

  /** The lengths of the pending and set-aside hashes, for the workers' gauges. */
  async queueLengths(): Promise<{ pending: number; invalid: number }> {
    const [pending, invalid] = await Promise.all([
      this.o.redis.hlen(this.keys.pendingKills),
      this.o.redis.hlen(this.keys.invalidPendingKills),
    ]);
    return { pending, invalid };
  }

  // Moved, not deleted: the kill already reached the evaluators through Redis; its entry is the
  // only record of who pulled the switch, for a human to read and write into the audit log.
  private async setAside(id: string, json: string, problem: string): Promise<void> {
    const replies = await this.o.redis
      .multi()
      .hset(this.keys.invalidPendingKills, id, json)
      .hdel(this.keys.pendingKills, id)
      .exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed)
      throw new Error(
        `kill reconciler: could not set aside pending kill ${id}: ${String(failed?.[0] ?? 'transaction aborted')}`,
      );
    this.invalidTotal++;
    this.o.logger.error('kill reconciler: a pending kill cannot be read; moved aside, the others go on', {
      id,
      problem,
      movedTo: this.keys.invalidPendingKills,
      entry: json.length > 500 ? `${json.slice(0, 500)}...` : json,
    });
  }

  private async apply(kill: PendingKill): Promise<void> {
    await writePendingKill(this.o.db, kill, this.o.now().toISOString());
  }
}
