import { copyOf, type MemoryDatabase, pairKey, sortBy, viaJson } from '../db/memory-database.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { MetricDefinition } from './metric-definition.ts';
import type { MetricRecord, MetricStore } from './metric-store.ts';

// As the kysely store: the document goes through JSON, and the row's key wins over the document's.
const stored = (d: MetricDefinition, key: string): MetricDefinition => ({ ...viaJson(d), key });

/** The metric store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryMetricStore implements MetricStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<MetricRecord>('metric_definitions');
  }

  async get(projectKey: string, key: string) {
    const row = this.rows.get(pairKey(projectKey, key));
    return row && copyOf(row);
  }

  async list(projectKey: string) {
    return sortBy(
      [...this.rows.values()].filter((r) => r.projectKey === projectKey),
      (r) => r.definition.key,
    ).map(copyOf);
  }

  async insert(r: MetricRecord) {
    const id = pairKey(r.projectKey, r.definition.key);
    if (this.rows.has(id)) throw new DuplicateKeyError(`metric ${r.definition.key}`);
    this.rows.set(id, { ...copyOf(r), definition: stored(r.definition, r.definition.key) });
  }

  async update(projectKey: string, key: string, expectedVersion: number, definition: MetricDefinition, now: string) {
    const id = pairKey(projectKey, key);
    const row = this.rows.get(id);
    if (!row || row.version !== expectedVersion) return false;
    this.rows.set(id, { ...row, definition: stored(definition, key), version: expectedVersion + 1, updatedAt: now });
    return true;
  }

  async delete(projectKey: string, key: string) {
    return this.rows.delete(pairKey(projectKey, key));
  }
}
