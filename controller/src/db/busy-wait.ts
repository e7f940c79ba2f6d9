/**
 * Waiting for SQLite's write lock without freezing the process.
 *
 * SQLite has one writer per database file; the controller and the workers are two connections to
 * it. better-sqlite3 is synchronous, so SQLite's own busy handler (`busy_timeout`) sleeps on the
 * event loop: a 5 s timeout could stall every request of the process (health checks, reads, the
 * kill switch) for 5 s. So each connection waits synchronously only {@link SQLITE_BUSY_TIMEOUT_MS},
 * which covers the usual case (the other process's short bookkeeping write), and a write that is
 * still refused backs off *asynchronously* here, the event loop serving other requests meanwhile,
 * for at most {@link BUSY_WAIT_LIMIT_MS} in all. Past that it fails with {@link DatabaseBusyError},
 * which the API answers 503 with `Retry-After` (docs/operations.md). Only whole transactions that
 * failed to start (or autocommit statements) are retried: nothing of them was written.
 */

/** How long one statement may block the event loop waiting for the lock (the SQLite pragma). */
export const SQLITE_BUSY_TIMEOUT_MS = 50;
/** How long a write waits for the lock in all before giving up with {@link DatabaseBusyError}. */
export const BUSY_WAIT_LIMIT_MS = 5_000;
/** What a refused client is told to wait (seconds, the `Retry-After` header). */
export const BUSY_RETRY_AFTER_SECONDS = 1;
/** Bound on attempts whatever the clock says (at least 10 ms apart after the first few). */
const MAX_ATTEMPTS = 1_000;

/** The database's write lock stayed taken for the whole bound; nothing was written. */
export class DatabaseBusyError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `the database stayed locked by another writer for ${waitedMs} ms (${attempts} attempts); nothing was written`,
      options,
    );
    this.name = 'DatabaseBusyError';
  }
}

/**
 * SQLITE_BUSY and its extended codes (`_SNAPSHOT`: a WAL read transaction that tried to write
 * after another connection committed; `_RECOVERY`, `_TIMEOUT`). All mean: the same statement,
 * run again later, can succeed.
 */
export function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

export interface BusyWaitOptions {
  /** Total wait before {@link DatabaseBusyError}; default {@link BUSY_WAIT_LIMIT_MS}. */
  limitMs?: number;
  /** Test seams. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One write's wait for the lock: call {@link next} after each busy failure; it sleeps (2, 4, 8 ...
 * up to 100 ms, with jitter so the two processes do not retry in step) or throws
 * {@link DatabaseBusyError} once the bound is spent.
 */
export class BusyWait {
  private readonly started: number;
  private attempts = 0;
  private readonly limitMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: BusyWaitOptions = {}) {
    this.limitMs = options.limitMs ?? BUSY_WAIT_LIMIT_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.started = this.now();
  }

  async next(cause: unknown): Promise<void> {
    this.attempts++;
    const waited = this.now() - this.started;
    const left = this.limitMs - waited;
    if (left <= 0 || this.attempts >= MAX_ATTEMPTS) throw new DatabaseBusyError(waited, this.attempts, { cause });
    const step = Math.min(100, 2 ** Math.min(this.attempts, 7));
    await this.sleep(Math.max(1, Math.min(left, Math.round(step * (0.5 + Math.random())))));
  }
}

/** Runs `fn` (one autocommit statement or one whole transaction) again while the database is busy. */
export async function retryWhileBusy<T>(fn: () => Promise<T>, options: BusyWaitOptions = {}): Promise<T> {
  const wait = new BusyWait(options);
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isDatabaseBusy(error)) throw error;
      await wait.next(error);
    }
  }
}

/**
 * Kysely's migrator reports failures in its result instead of throwing: a run refused SQLite's
 * lock (the other process writing while this one starts) rolled back whole and runs again.
 */
export async function migrateWhileBusy<R extends { error?: unknown }>(
  migrator: { migrateToLatest(): Promise<R> },
  options: BusyWaitOptions = {},
): Promise<R> {
  return retryWhileBusy(async () => {
    const result = await migrator.migrateToLatest();
    if (isDatabaseBusy(result.error)) throw result.error;
    return result;
  }, options);
}
