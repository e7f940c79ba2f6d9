import { copyOf, type MemoryDatabase, sortBy } from '../db/memory-database.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { ProjectRecord, ProjectStore } from './project-store.ts';

/** The project store in memory, for services' unit tests; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryProjectStore implements ProjectStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<ProjectRecord>('projects');
  }

  async get(key: string) {
    const row = this.rows.get(key);
    return row && copyOf(row);
  }

  async list() {
    return sortBy([...this.rows.values()], (p) => p.key).map(copyOf);
  }

  async insert(p: ProjectRecord) {
    if (this.rows.has(p.key)) throw new DuplicateKeyError(`project ${p.key}`);
    this.rows.set(p.key, {
      key: p.key,
      name: p.name,
      description: p.description,
      version: p.version,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    });
  }

  async update(key: string, expectedVersion: number, patch: { name: string; description: string }, now: string) {
    const row = this.rows.get(key);
    if (!row || row.version !== expectedVersion) return false;
    this.rows.set(key, {
      ...row,
      name: patch.name,
      description: patch.description,
      version: expectedVersion + 1,
      updatedAt: now,
    });
    return true;
  }

  async delete(key: string) {
    return this.rows.delete(key);
  }
}
