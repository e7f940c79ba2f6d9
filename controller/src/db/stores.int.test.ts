/**
 * The store contract (test-support/store-contract.ts) on the kysely stores, against MariaDB and SQLite. The
 * memory fakes pass the same tests in memory-stores.test.ts.
 */
import { createTestDatabase, DIALECTS } from '../test-support/test-database.ts';
import { createKyselyStores } from './kysely-stores.ts';
import { runMigrations } from './migrations.ts';
import { storeContract } from '../test-support/store-contract.ts';
import { KyselyUnitOfWork } from './unit-of-work.ts';

for (const dialect of DIALECTS) {
  storeContract(dialect, async () => {
    const t = await createTestDatabase(dialect);
    return {
      stores: createKyselyStores(t.db),
      uow: new KyselyUnitOfWork(t.db, createKyselyStores),
      migrate: () => runMigrations(t.db),
      close: () => t.drop(),
    };
  });
}
