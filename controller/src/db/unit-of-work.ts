import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Stores } from './stores.ts';

/** Test seams, wired only by tests through the composition root. */
export interface TransactionHooks {
  /** Runs inside every write transaction after all its statements, just before COMMIT. */
  beforeCommit?: () => void | Promise<void>;
  /** Runs after every write transaction COMMITTED (the outbox wake-up hint); never throws. */
  afterCommit?: () => void;
}

// MySQL may pick a transaction as a deadlock victim or time out its lock wait; both roll the
// whole transaction back, so running it again is safe.
// SQLITE_BUSY_SNAPSHOT: a WAL reader that tried to write after another connection (the
// publisher process) committed; the transaction must start over to see the new snapshot.
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT']);

/**
 * Services read and write through this: `write` runs a function in one transaction with stores
 * bound to it, so a change, its audit row and its outbox rows commit or vanish together.
 */
export class UnitOfWork {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly makeStores: (db: Kysely<Database>) => Stores,
    private readonly hooks: TransactionHooks = {},
  ) {}

  /** Reads outside a transaction. */
  read<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    return fn(this.makeStores(this.db));
  }

  /** Reads in one transaction, for a consistent view across stores; no hooks run. */
  readConsistent<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(this.makeStores(trx)));
  }

  /** One transaction; anything thrown rolls it back and is rethrown. */
  async write<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.db.transaction().execute(async (trx) => {
          const value = await fn(this.makeStores(trx));
          await this.hooks.beforeCommit?.();
          return value;
        });
        this.hooks.afterCommit?.();
        return result;
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (attempt < 5 && typeof code === 'string' && RETRYABLE.has(code)) continue;
        throw error;
      }
    }
  }
}
