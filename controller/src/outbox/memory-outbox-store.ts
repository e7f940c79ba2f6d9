import { copyOf, type MemoryDatabase, sortBy } from '../db/memory-database.ts';
import type { OutboxKind, OutboxRow, OutboxStore } from './outbox-store.ts';

/** The outbox in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryOutboxStore implements OutboxStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<OutboxRow>('outbox');
  }

  async append(environmentId: string, kind: OutboxKind, entityKey: string | null, now: string) {
    const id = this.db.nextId('outbox');
    this.rows.set(String(id), { id, environmentId, kind, entityKey, createdAt: now });
  }

  async list(limit: number) {
    return sortBy([...this.rows.values()], (r) => r.id)
      .slice(0, limit)
      .map(copyOf);
  }

  async stillPending(ids: readonly number[]) {
    // Each id once, in id order, as the database's SELECT ... WHERE id IN (...) answers.
    return sortBy(
      [...new Set(ids)].filter((id) => this.rows.has(String(id))),
      (id) => id,
    );
  }

  async delete(ids: number[]) {
    let n = 0;
    for (const id of new Set(ids)) if (this.rows.delete(String(id))) n++;
    return n;
  }

  async hasPending(environmentId: string) {
    return [...this.rows.values()].some((r) => r.environmentId === environmentId);
  }
}
