import { MemoryDatabase } from './memory-database.ts';
import { createMemoryStores } from './memory-stores.ts';
import type { Stores } from './stores.ts';
import type { TransactionHooks, UnitOfWork } from './unit-of-work.ts';

/**
 * The unit of work over the memory stores, with the semantics the services rely on from the
 * kysely one (KyselyUnitOfWork, unit-of-work.ts):
 *
 * - `write` runs its function on a working copy of the database and commits it only when the
 *   function (and `beforeCommit`) returned: anything thrown leaves nothing behind and is
 *   rethrown. Writes run one at a time, in call order, like SQLite's write lock.
 * - `read` sees what is committed, at each call (uncommitted writes are invisible).
 * - `readConsistent` reads one snapshot taken when it starts.
 *
 * Writes made directly on `createMemoryStores(db)` (test set-up) apply at once; do not make them
 * while a `write` is running: its commit replaces the rows with its working copy.
 */
export class MemoryUnitOfWork implements UnitOfWork {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly db: MemoryDatabase = new MemoryDatabase(),
    private readonly hooks: Pick<TransactionHooks, 'beforeCommit' | 'afterCommit'> = {},
  ) {}

  /** Reads outside a transaction: the committed rows. */
  read<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    return fn(createMemoryStores(this.db));
  }

  /** Reads one snapshot of the committed rows, whatever commits meanwhile. */
  readConsistent<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    return fn(createMemoryStores(this.db.copy()));
  }

  /** One transaction: committed when `fn` returns, discarded when anything throws. */
  write<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const draft = this.db.copy();
      const value = await fn(createMemoryStores(draft));
      await this.hooks.beforeCommit?.();
      this.db.replaceWith(draft);
      this.hooks.afterCommit?.();
      return value;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
