import { copyOf, type MemoryDatabase, sortBy } from '../db/memory-database.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { EnvironmentPatch, EnvironmentRecord, EnvironmentStore, NewEnvironment } from './environment-store.ts';

/** The environment store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryEnvironmentStore implements EnvironmentStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<EnvironmentRecord>('environments');
  }

  /** Kept in a table of its own, as the kysely store keeps it out of the record. */
  private get secrets() {
    return this.db.table<string>('environment_stream_secrets');
  }

  async get(environmentId: string) {
    const row = this.rows.get(environmentId);
    return row && copyOf(row);
  }

  async listByProject(projectKey: string) {
    return sortBy(
      [...this.rows.values()].filter((e) => e.projectKey === projectKey),
      (e) => e.key,
    ).map(copyOf);
  }

  async insert(e: NewEnvironment) {
    // Two unique keys, as in the schema: the global id, and the key within its project.
    if (this.rows.has(e.id) || [...this.rows.values()].some((r) => r.projectKey === e.projectKey && r.key === e.key)) {
      throw new DuplicateKeyError(`environment ${e.id}`);
    }
    this.rows.set(e.id, {
      id: e.id,
      projectKey: e.projectKey,
      key: e.key,
      name: e.name,
      requireApproval: e.requireApproval,
      version: e.version,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
      allowedOrigins: [...(e.allowedOrigins ?? [])],
    });
  }

  async update(environmentId: string, expectedVersion: number, patch: EnvironmentPatch, now: string) {
    const row = this.rows.get(environmentId);
    if (!row || row.version !== expectedVersion) return false;
    this.rows.set(environmentId, {
      ...row,
      name: patch.name,
      requireApproval: patch.requireApproval,
      ...(patch.allowedOrigins === undefined ? {} : { allowedOrigins: [...patch.allowedOrigins] }),
      version: expectedVersion + 1,
      updatedAt: now,
    });
    return true;
  }

  async delete(environmentId: string) {
    this.secrets.delete(environmentId);
    return this.rows.delete(environmentId);
  }

  async streamSecret(environmentId: string) {
    return this.rows.has(environmentId) ? this.secrets.get(environmentId) : undefined;
  }

  async setStreamSecret(environmentId: string, secret: string) {
    if (!this.rows.has(environmentId)) return false;
    this.secrets.set(environmentId, secret);
    return true;
  }
}
