/**
 * The store contract (test-support/store-contract.ts) on the memory fakes: the same tests the kysely stores
 * pass on SQLite and MariaDB (stores.int.test.ts), so the fakes behave as the real stores do
 * wherever a service looks.
 */
import { createMemoryStores } from './memory-stores.ts';
import { MemoryUnitOfWork } from './memory-unit-of-work.ts';
import { storeContract } from '../test-support/store-contract.ts';

storeContract('memory', async () => {
  const uow = new MemoryUnitOfWork();
  return { stores: createMemoryStores(uow.db), uow, migrate: async () => {}, close: async () => {} };
});
