import type { Segment } from '@flagship/evaluator';
import { copyOf, type MemoryDatabase, pairKey, sortBy, viaJson } from '../db/memory-database.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { SegmentRecord, SegmentStore } from './segment-store.ts';

// As the kysely store: the document is stored without its version, and the row's key and
// version win over the document's when it is read back.
const stored = (segment: Segment, key: string, version: number): Segment => {
  const { version: _v, ...document } = segment;
  return { ...viaJson(document), key, version };
};

/** The segment store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemorySegmentStore implements SegmentStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<SegmentRecord>('segments');
  }

  async get(environmentId: string, key: string) {
    const row = this.rows.get(pairKey(environmentId, key));
    return row && copyOf(row);
  }

  async list(environmentId: string) {
    return sortBy(
      [...this.rows.values()].filter((r) => r.environmentId === environmentId),
      (r) => r.segment.key,
    ).map(copyOf);
  }

  async insert(r: SegmentRecord) {
    const id = pairKey(r.environmentId, r.segment.key);
    if (this.rows.has(id)) throw new DuplicateKeyError(`segment ${r.segment.key}`);
    this.rows.set(id, {
      environmentId: r.environmentId,
      segment: stored(r.segment, r.segment.key, r.segment.version),
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    });
  }

  async update(environmentId: string, key: string, expectedVersion: number, segment: Segment, now: string) {
    const id = pairKey(environmentId, key);
    const row = this.rows.get(id);
    if (!row || row.segment.version !== expectedVersion) return false;
    this.rows.set(id, { ...row, segment: stored(segment, key, expectedVersion + 1), updatedAt: now });
    return true;
  }

  async delete(environmentId: string, key: string) {
    return this.rows.delete(pairKey(environmentId, key));
  }

  async deleteByEnvironment(environmentId: string) {
    let n = 0;
    for (const [id, r] of this.rows) if (r.environmentId === environmentId && this.rows.delete(id)) n++;
    return n;
  }
}
