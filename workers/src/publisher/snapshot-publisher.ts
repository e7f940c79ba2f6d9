/**
 * Drains the outbox into Redis: for each environment with pending rows, takes the environment's
 * next version in the database, then reads its state, stores the envelope in Redis (atomically
 * with the version, the environments set and the ChangeMessage), and only then deletes the rows
 * it read. Why this order:
 * - a crash anywhere before the delete leaves the rows, so the next pass publishes again (a
 *   higher version with the same content: harmless, evaluators just swap once more);
 * - the version comes from the database, so it survives Redis restarting empty;
 * - it deletes exactly the ids it read, never `id <= max`: an auto-increment id is taken at
 *   INSERT but becomes visible at COMMIT, so a lower id can appear after a higher one;
 * - several publishers may run: a per-environment lock (SET NX PX + token) avoids duplicate work,
 *   and correctness does not depend on it: versions are taken under the database row lock and
 *   the Lua publish refuses anything not newer than what Redis holds;
 * - the state is read after the version was taken (and committed, on SQLite), so a version
 *   superseding ours holds every change our rows stand for, and deleting them loses nothing.
 * SQLite has one write lock for the whole file, shared with the controller: the publisher holds
 * it only for its bookkeeping writes (the version, the outbox delete), never while it reads or
 * builds a snapshot (a 10,000-flag read held it long enough for admin writes to answer 500
 * `database is locked`), and waits for it without blocking the event loop: every write here goes
 * through the controller's unit of work or its one retry (`retryTransaction`: SQLite's busy wait,
 * db/busy-wait.ts, and MySQL's deadlock retries), and the outbox through its store.
 * Latency: the outbox is polled every `pollIntervalMs` (a primary-key range read) and a Redis
 * wake-up message from the controller cuts even that wait.
 * Metrics (docs/slo.md): a failed pass is counted, the envelope carries `committedAt` (the oldest
 * published row's commit time, for the evaluators' commit -> served histogram), and
 * {@link SnapshotPublisher.oldestPendingAt} is the outbox-age gauge's source.
 */
import {
  createKyselyStores,
  currentSnapshotVersion,
  type Database,
  dialectOf,
  type EnvironmentState,
  KyselyUnitOfWork,
  nextSnapshotVersion,
  propagationDb,
  raiseSnapshotVersion,
  readEnvironmentChanges,
  readEnvironmentState,
  retryTransaction,
  type Stores,
  type OutboxKind,
  type UnitOfWork,
} from '@flagship/controller';
import type { SnapshotEnvelope } from '@flagship/evaluator/propagation';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { type Logger, silentLogger } from '../logger.ts';
import { PUBLISH_LOCK_TTL_MS } from './publish-lock.ts';
import { RedisSnapshotWriter } from './redis-snapshot-writer.ts';

/** Test seams: a hook that throws simulates a crash at that point. */
export interface PublisherHooks {
  /** After Redis holds the new version, before the outbox rows are deleted. */
  afterPublish?: (environmentId: string, version: number) => void | Promise<void>;
  /** After the version was taken and the state read, before Redis is written. */
  beforePublish?: (environmentId: string, version: number) => void | Promise<void>;
}

/** What the publisher records (WorkersMetrics, workers/src/metrics/workers-metrics.ts). */
export interface PublisherMetrics {
  publisherFailed(): void;
}

/** An outbox row to publish: its id, its commit time (epoch ms of its `createdAt`), and what it touched. */
export interface PendingRow {
  id: number;
  committedAt: number;
  /** Absent (a caller that knows only ids): the environment is published in full. */
  kind?: OutboxKind;
  entityKey?: string | null;
}

export interface SnapshotPublisherOptions {
  db: Kysely<Database>;
  /** A normal (non-subscriber) connection. */
  redis: Redis;
  prefix: string;
  /** A connection this publisher may put in subscriber mode for wake-ups; omit to only poll. */
  subscriber?: Redis;
  pollIntervalMs?: number;
  /** Outbox rows read per pass. */
  batchSize?: number;
  /** A crashed publisher's lock (or one a Redis failover orphaned) frees itself after this; renewed while held. */
  lockTtlMs?: number;
  /** Environments published at once in one pass. */
  concurrency?: number;
  /** Deltas after which the full snapshot in Redis is rewritten at the current version (compaction). */
  compactAfter?: number;
  hooks?: PublisherHooks;
  logger?: Logger;
  now?: () => Date;
  /** Where failed passes are counted; omit to count nowhere. */
  metrics?: PublisherMetrics;
}

export type EnvironmentOutcome =
  | { environment: string; status: 'published'; version: number; rows: number }
  | { environment: string; status: 'unpublished'; rows: number }
  | { environment: string; status: 'superseded'; version: number; rows: number }
  | { environment: string; status: 'locked' | 'already-published' };

const DEFAULTS = {
  pollIntervalMs: 10,
  batchSize: 1_000,
  lockTtlMs: PUBLISH_LOCK_TTL_MS,
  concurrency: 4,
  compactAfter: 100,
};

/** Delta attempts before a change is published in full instead (another publisher kept moving the base). */
const DELTA_ATTEMPTS = 3;

export class SnapshotPublisher {
  readonly writer: RedisSnapshotWriter;
  private readonly uow: UnitOfWork;
  private readonly opts: Required<Omit<SnapshotPublisherOptions, 'subscriber' | 'hooks' | 'metrics'>> &
    Pick<SnapshotPublisherOptions, 'subscriber' | 'hooks' | 'metrics'>;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private woken = false;
  private failing = false;

  constructor(options: SnapshotPublisherOptions) {
    const o = { ...DEFAULTS, logger: silentLogger, now: () => new Date(), ...options };
    for (const k of ['pollIntervalMs', 'batchSize', 'lockTtlMs', 'concurrency', 'compactAfter'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1)
        throw new Error(`SnapshotPublisher: ${k} must be a positive integer, got ${o[k]}`);
    }
    this.opts = o;
    this.writer = new RedisSnapshotWriter(options.redis, options.prefix);
    // No hooks: the publisher's own writes are bookkeeping, nothing to wake anyone for.
    this.uow = new KyselyUnitOfWork(options.db, createKyselyStores);
  }

  /** Starts the poll loop (and the wake-up subscription). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const sub = this.opts.subscriber;
    if (sub) {
      sub.on('message', (channel: string) => {
        if (channel === this.writer.keys.outboxWake) this.poke();
      });
      // ioredis re-subscribes by itself after a reconnect.
      await sub.subscribe(this.writer.keys.outboxWake).catch((error: unknown) => {
        this.opts.logger.warn('publisher: wake-up subscription failed, polling only', { error: String(error) });
      });
    }
    this.loopDone = this.loop();
  }

  /** Stops after the pass in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.loopDone;
    const sub = this.opts.subscriber;
    // Bounded: a subscriber connection waits for Redis forever, and Redis may be down right now.
    if (sub?.status === 'ready') {
      await Promise.race([
        sub.unsubscribe(this.writer.keys.outboxWake).catch(() => {}),
        new Promise((r) => setTimeout(r, 1_000).unref()),
      ]);
    }
  }

  /** Cuts the current wait short: something was just committed. */
  poke(): void {
    this.woken = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      let progressed = false;
      try {
        const outcomes = await this.drainOnce();
        progressed = outcomes.some((o) => o.status !== 'locked' && o.status !== 'already-published');
        if (this.failing) this.opts.logger.info('publisher: recovered');
        this.failing = false;
        backoff = 0;
      } catch (error) {
        this.opts.metrics?.publisherFailed();
        if (!this.failing)
          this.opts.logger.warn('publisher: pass failed; outbox rows stay and will be retried', {
            error: String(error),
          });
        this.failing = true;
        backoff = Math.min(1_000, Math.max(20, backoff * 2));
      }
      if (!progressed && this.running) await this.sleep(backoff || this.opts.pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        this.woken = false;
        done();
      };
    });
  }

  /** One pass over the oldest outbox rows; returns what happened per environment. */
  async drainOnce(): Promise<EnvironmentOutcome[]> {
    const rows = await this.uow.read((s) => s.outbox.list(this.opts.batchSize));
    if (rows.length === 0) return [];
    const byEnv = new Map<string, PendingRow[]>();
    for (const r of rows) {
      const pending = byEnv.get(r.environmentId) ?? [];
      pending.push({ id: r.id, committedAt: commitTime(r.createdAt), kind: r.kind, entityKey: r.entityKey });
      byEnv.set(r.environmentId, pending);
    }
    const queue = [...byEnv.entries()];
    const outcomes: EnvironmentOutcome[] = [];
    let failed: { error: unknown } | undefined;
    const lane = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          outcomes.push(await this.publishEnvironment(next[0], next[1]));
        } catch (error) {
          failed ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, queue.length) }, lane));
    if (failed && outcomes.length === 0) throw failed.error;
    // Some environments failed, others published: still a failed pass for the ones left behind
    // (a total failure is counted by the loop, which catches the throw above).
    if (failed) this.opts.metrics?.publisherFailed();
    if (failed)
      this.opts.logger.warn('publisher: an environment failed; its rows stay', { error: String(failed.error) });
    return outcomes;
  }

  /** Epoch ms of the oldest row still in the outbox (the lowest id: ids follow commit order closely), or undefined when it is empty. */
  async oldestPendingAt(): Promise<number | undefined> {
    const [oldest] = await this.uow.read((s) => s.outbox.list(1));
    return oldest ? commitTime(oldest.createdAt) : undefined;
  }

  /**
   * Publishes one environment's next version for the given outbox rows (none: republish
   * anyway, e.g. after Redis lost the snapshot) and deletes those rows. The envelope's
   * `committedAt` is the oldest of those rows' commit times: the change that waited longest.
   */
  async publishEnvironment(environmentId: string, outbox: readonly PendingRow[] = []): Promise<EnvironmentOutcome> {
    const lock = await this.writer.tryLock(this.writer.keys.publishLock(environmentId), this.opts.lockTtlMs);
    if (!lock) return { environment: environmentId, status: 'locked' };
    try {
      let ids = outbox.map((r) => r.id);
      if (ids.length > 0) {
        // Another publisher may have published these while we waited for the lock.
        ids = await this.uow.read((s) => s.outbox.stillPending(ids));
        if (ids.length === 0) return { environment: environmentId, status: 'already-published' };
      }
      const still = new Set(ids);
      const pending = outbox.filter((r) => still.has(r.id));
      const committedAt = oldestCommit(pending);
      const touched = ids.length > 0 ? touchedBy(pending) : undefined;
      const delta = touched === undefined ? undefined : await this.publishDelta(environmentId, touched, committedAt);
      if (delta !== undefined) {
        await this.opts.hooks?.afterPublish?.(environmentId, delta.version);
        await retryTransaction(() => this.uow.read((s) => s.outbox.delete(ids)));
        this.opts.logger.debug('publisher: published a delta', { environment: environmentId, version: delta.version });
        await this.compactIfDue(environmentId);
        return { environment: environmentId, status: 'published', version: delta.version, rows: ids.length };
      }
      let attempt = 0;
      let outcome: EnvironmentOutcome;
      let version: number;
      for (;;) {
        const now = this.opts.now();
        const taken = await this.takeVersionAndState(environmentId, now.toISOString());
        version = taken.version;
        const state = taken.state;
        await this.opts.hooks?.beforePublish?.(environmentId, version);
        if (!state) {
          await this.writer.unpublish(environmentId);
          outcome = { environment: environmentId, status: 'unpublished', rows: ids.length };
          break;
        }
        const envelope: SnapshotEnvelope = {
          snapshot: { ...state.snapshot, version, createdAt: now.toISOString() },
          sdkKeyHashes: state.sdkKeyHashes,
          clients: state.clients,
          publishedAt: Date.now(),
          ...(committedAt === undefined ? {} : { committedAt }),
        };
        const kills = await this.writer.kills(environmentId);
        // A kill entry has done its job once a snapshot carries the flag disabled.
        const clear = [...kills.keys()].filter(
          (flag) => envelope.snapshot.flags[flag]?.enabled === false || !envelope.snapshot.flags[flag],
        );
        const r = await this.writer.publish(envelope, clear);
        if (r.published) {
          outcome = { environment: environmentId, status: 'published', version, rows: ids.length };
          break;
        }
        // Redis is ahead. Normally a newer publish of this database, built from state read after
        // ours, so it holds these rows' changes too. But when this database never issued that
        // version, Redis holds another database's history (a reset data folder): move past it
        // and publish again, or these changes would never reach the evaluators.
        if (
          attempt++ === 0 &&
          (await currentSnapshotVersion(propagationDb(this.opts.db), environmentId)) < r.currentVersion
        ) {
          this.opts.logger.warn('publisher: Redis holds versions this database never issued; moving past them', {
            environment: environmentId,
            redis: r.currentVersion,
            database: version,
          });
          await retryTransaction(() =>
            raiseSnapshotVersion(propagationDb(this.opts.db), environmentId, r.currentVersion, now.toISOString()),
          );
          continue;
        }
        outcome = { environment: environmentId, status: 'superseded', version: r.currentVersion, rows: ids.length };
        break;
      }
      await this.opts.hooks?.afterPublish?.(environmentId, version);
      // One autocommit DELETE (not a transaction around it): the rows go as soon after the Redis
      // write as possible, with the unit of work's retry.
      if (ids.length > 0) await retryTransaction(() => this.uow.read((s) => s.outbox.delete(ids)));
      if (outcome.status === 'published')
        this.opts.logger.debug('publisher: published', { environment: environmentId, version, rows: ids.length });
      return outcome;
    } finally {
      await lock.release();
    }
  }

  /**
   * Publishes the rows' changes as a delta onto the version Redis holds (docs/architecture.md,
   * "Deltas"): reads only the flags, segments and keys they name, so the cost follows the change,
   * not the environment. Undefined when the change must go in full instead: Redis holds no full
   * snapshot to build on, the environment is gone, or the base kept moving.
   */
  private async publishDelta(
    environmentId: string,
    touched: Touched,
    committedAt: number | undefined,
  ): Promise<{ version: number } | undefined> {
    for (let attempt = 0; attempt < DELTA_ATTEMPTS; attempt++) {
      const base = await this.writer.version(environmentId);
      if (base === 0) return undefined;
      const now = this.opts.now();
      const { version, state: changes } = await this.takeVersionAnd(environmentId, now.toISOString(), (s) =>
        readEnvironmentChanges(s, environmentId, touched),
      );
      if (changes === undefined) return undefined;
      await this.opts.hooks?.beforePublish?.(environmentId, version);
      const kills = await this.writer.kills(environmentId);
      // A kill entry has done its job once a published change carries the flag disabled (or gone).
      const clear = [...kills.keys()].filter(
        (flag) => flag in changes.flags && (changes.flags[flag] === null || changes.flags[flag]!.enabled === false),
      );
      const r = await this.writer.publishDelta(
        {
          delta: {
            environment: environmentId,
            base,
            version,
            createdAt: now.toISOString(),
            flags: changes.flags,
            segments: changes.segments,
          },
          ...(changes.access === undefined
            ? {}
            : { sdkKeyHashes: changes.access.sdkKeyHashes, clients: changes.access.clients }),
          publishedAt: Date.now(),
          ...(committedAt === undefined ? {} : { committedAt }),
        },
        clear,
      );
      if (r.published) return { version };
      if (r.reason === 'no-snapshot') return undefined;
      // Redis moved: another publisher's version, or versions this database never issued (a reset
      // data folder; see publishEnvironment). A delta holds only its own rows' changes, so unlike
      // a full snapshot it is never "superseded": take a version after Redis's and try again.
      if ((await currentSnapshotVersion(propagationDb(this.opts.db), environmentId)) < r.currentVersion)
        await retryTransaction(() =>
          raiseSnapshotVersion(propagationDb(this.opts.db), environmentId, r.currentVersion, now.toISOString()),
        );
    }
    this.opts.logger.warn('publisher: the base kept moving; publishing the environment in full', {
      environment: environmentId,
    });
    return undefined;
  }

  /**
   * After `compactAfter` deltas, rewrites the full snapshot in Redis at the version Redis holds,
   * so an evaluator loading in full applies few deltas. The state is read after that version was
   * published, so it holds at least its content (a later commit read early reaches every follower
   * with the delta that publishes it). No version is taken and no message sent: nothing changed.
   */
  private async compactIfDue(environmentId: string): Promise<void> {
    if ((await this.writer.deltaCount(environmentId)) < this.opts.compactAfter) return;
    const version = await this.writer.version(environmentId);
    const state = await retryTransaction(() => this.uow.readConsistent((s) => readEnvironmentState(s, environmentId)));
    if (state === undefined || version === 0) return;
    const createdAt = this.opts.now().toISOString();
    const compacted = await this.writer.compact({
      snapshot: { ...state.snapshot, version, createdAt },
      sdkKeyHashes: state.sdkKeyHashes,
      clients: state.clients,
      publishedAt: Date.now(),
    });
    this.opts.logger.debug('publisher: compacted', { environment: environmentId, version, compacted });
  }

  /**
   * The environment's next version, and its state read after the version was taken.
   * MySQL: one transaction, as ever; the UPDATE's row lock blocks only other publishers of this
   * environment, and a later version's state is then never older than an earlier one's.
   * SQLite: the UPDATE takes the lock of the whole database, so the version is taken and
   * committed in its own short transaction, and the state is read afterwards in a read-only one.
   * A version's state still holds every change committed before the version was taken; only
   * the order of contents between two publishers racing on one environment (both past the Redis
   * lock) is no longer guaranteed, and the next outbox row sets it right.
   */
  private takeVersionAndState(
    environmentId: string,
    now: string,
  ): Promise<{ version: number; state: EnvironmentState | undefined }> {
    return this.takeVersionAnd(environmentId, now, (s) => readEnvironmentState(s, environmentId));
  }

  /** The environment's next version, and what `read` reads after it was taken (see takeVersionAndState). */
  private async takeVersionAnd<T>(
    environmentId: string,
    now: string,
    read: (s: Stores) => Promise<T>,
  ): Promise<{ version: number; state: T }> {
    const db = propagationDb(this.opts.db);
    if (dialectOf(this.opts.db) === 'mysql') {
      return retryTransaction(() =>
        db.transaction().execute(async (trx) => {
          const version = await nextSnapshotVersion(trx, environmentId, now);
          return { version, state: await read(createKyselyStores(trx as unknown as Kysely<Database>)) };
        }),
      );
    }
    const version = await retryTransaction(() =>
      db.transaction().execute((trx) => nextSnapshotVersion(trx, environmentId, now)),
    );
    return { version, state: await retryTransaction(() => this.uow.readConsistent(read)) };
  }
}

/** What a batch of outbox rows touched; undefined when it needs the whole environment. */
interface Touched {
  flags: string[];
  segments: string[];
  access: boolean;
}

/** Rows naming flags, segments and keys make a delta; an environment-wide row (or one without a kind) does not. */
export function touchedBy(rows: readonly PendingRow[]): Touched | undefined {
  const flags = new Set<string>();
  const segments = new Set<string>();
  let access = false;
  for (const r of rows) {
    switch (r.kind) {
      case 'flag-config':
      case 'flag':
      case 'kill':
        if (typeof r.entityKey !== 'string') return undefined;
        flags.add(r.entityKey);
        break;
      case 'segment':
        if (typeof r.entityKey !== 'string') return undefined;
        segments.add(r.entityKey);
        break;
      case 'sdk-key':
      case 'access':
        access = true;
        break;
      default:
        return undefined;
    }
  }
  return { flags: [...flags], segments: [...segments], access };
}

/** Epoch ms of an outbox row's `createdAt` (ISO 8601, the controller's clock at the write). */
function commitTime(createdAt: string): number {
  return Date.parse(createdAt);
}

/** The smallest valid commit time of the rows; undefined for none (a republish carries no change). */
function oldestCommit(rows: readonly PendingRow[]): number | undefined {
  let oldest: number | undefined;
  for (const r of rows)
    if (Number.isFinite(r.committedAt) && (oldest === undefined || r.committedAt < oldest)) oldest = r.committedAt;
  return oldest;
}
