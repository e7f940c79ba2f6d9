import type { Kysely } from 'kysely';
import { BusyWait, isDatabaseBusy } from './busy-wait.ts';
import { dialectOf } from './create-database.ts';
import type { Database } from './schema.ts';
import type { Stores } from './stores.ts';

/** Test seams, wired only by tests through the composition root. */
export interface TransactionHooks {
  /** Runs inside every write transaction after all its statements, just before COMMIT. */
  beforeCommit?: () => void | Promise<void>;
  /** Runs after every write transaction COMMITTED (the outbox wake-up hint); never throws. */
  afterCommit?: () => void;
  /** How long a write waits for SQLite's write lock before DatabaseBusyError (busy-wait.ts). */
  busyWaitLimitMs?: number;
}

// MySQL may pick a transaction as a deadlock victim or time out its lock wait; both roll the
// whole transaction back, so running it again (at once, up to 5 times) is safe.
const MYSQL_RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const MYSQL_ATTEMPTS = 5;

/**
 * The one retry of a write that failed without writing anything: `fn` is one whole transaction
 * (or one autocommit statement). SQLite refused its write lock: waits its turn (busy-wait.ts)
 * until the bound, then {@link DatabaseBusyError}; MySQL chose it as a deadlock victim or timed
 * out its lock wait: runs it again at once, up to 5 attempts. Anything else is rethrown.
 * {@link KyselyUnitOfWork.write} runs through it, and so do the workers' own transactions.
 */
export async function retryTransaction<T>(
  fn: () => Promise<T>,
  options: { busyWaitLimitMs?: number | undefined } = {},
): Promise<T> {
  let busy: BusyWait | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (isDatabaseBusy(error)) {
        busy ??= new BusyWait({ limitMs: options.busyWaitLimitMs });
        await busy.next(error);
        continue;
      }
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt < MYSQL_ATTEMPTS && typeof code === 'string' && MYSQL_RETRYABLE.has(code)) continue;
      throw error;
    }
  }
}

/**
 * What services read and write through: `write` runs a function in one transaction with stores
 * bound to it, so a change, its audit row and its outbox rows commit or vanish together.
 * {@link KyselyUnitOfWork} is the database's; MemoryUnitOfWork (memory-unit-of-work.ts) the
 * unit tests'.
 */
export interface UnitOfWork {
  /** Reads outside a transaction. */
  read<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
  /** Reads in one transaction, for a consistent view across stores; no hooks run. */
  readConsistent<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
  /** One transaction; anything thrown rolls it back and is rethrown. */
  write<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
}

/** The unit of work over a kysely database (SQLite or MySQL/MariaDB). */
export class KyselyUnitOfWork implements UnitOfWork {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly makeStores: (db: Kysely<Database>) => Stores,
    private readonly hooks: TransactionHooks = {},
  ) {}

  /** Reads outside a transaction. */
  read<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    return fn(this.makeStores(this.db));
  }

  /**
   * Reads in one transaction, for a consistent view across stores; no hooks run. On SQLite a
   * deferred (read only) transaction, which takes no write lock (create-database.ts).
   */
  readConsistent<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    const begin = this.db.transaction();
    return (dialectOf(this.db) === 'sqlite' ? begin.setAccessMode('read only') : begin).execute((trx) =>
      fn(this.makeStores(trx)),
    );
  }

  /**
   * One transaction; anything thrown rolls it back and is rethrown. On SQLite it takes the write
   * lock at BEGIN and waits its turn (busy-wait.ts): a transaction refused the lock wrote nothing
   * and runs again, until the bound, then DatabaseBusyError (the API's 503 DATABASE_BUSY).
   */
  async write<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    const result = await retryTransaction(
      () =>
        this.db.transaction().execute(async (trx) => {
          const value = await fn(this.makeStores(trx));
          await this.hooks.beforeCommit?.();
          return value;
        }),
      { busyWaitLimitMs: this.hooks.busyWaitLimitMs },
    );
    this.hooks.afterCommit?.();
    return result;
  }
}
