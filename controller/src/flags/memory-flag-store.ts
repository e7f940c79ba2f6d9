import type { Flag, FlagConfig } from '@flagship/evaluator';
import { copyOf, type MemoryDatabase, pairKey, sortBy, viaJson } from '../db/memory-database.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { ConfigRecord, ConfigStore, FlagListQuery, FlagRecord, FlagStore } from './flag-store.ts';

const matchesText = (f: FlagRecord, needle: string) =>
  f.key.toLowerCase().includes(needle) || (f.definition.description ?? '').toLowerCase().includes(needle);

/** The flag store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryFlagStore implements FlagStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<FlagRecord>('flags');
  }

  private ofProject(projectKey: string): FlagRecord[] {
    return sortBy(
      [...this.rows.values()].filter((f) => f.projectKey === projectKey),
      (f) => f.key,
    );
  }

  async get(projectKey: string, key: string) {
    const row = this.rows.get(pairKey(projectKey, key));
    return row && copyOf(row);
  }

  async list(projectKey: string, q: FlagListQuery) {
    // The same filters as the kysely store, in its order; a falsy filter value filters nothing.
    const tag = q.tag;
    const needle = q.q?.toLowerCase();
    return this.ofProject(projectKey)
      .filter((f) => q.archived === 'all' || f.archived === Boolean(q.archived))
      .filter((f) => !q.type || f.definition.type === q.type)
      .filter((f) => q.after === undefined || f.key > q.after)
      .filter((f) => !needle || matchesText(f, needle))
      .filter((f) => !tag || (f.definition.tags?.includes(tag) ?? false))
      .slice(0, q.limit)
      .map(copyOf);
  }

  async listAll(projectKey: string) {
    return this.ofProject(projectKey).map(copyOf);
  }

  async countByProject(projectKey: string) {
    return this.ofProject(projectKey).length;
  }

  async insert(f: FlagRecord) {
    const id = pairKey(f.projectKey, f.key);
    if (this.rows.has(id)) throw new DuplicateKeyError(`flag ${f.key}`);
    this.rows.set(id, {
      projectKey: f.projectKey,
      key: f.key,
      definition: viaJson(f.definition),
      archived: f.archived,
      version: f.version,
      createdAt: f.createdAt,
      updatedAt: f.updatedAt,
    });
  }

  async update(
    projectKey: string,
    key: string,
    expectedVersion: number,
    patch: { definition: Flag; archived: boolean },
    now: string,
  ) {
    const id = pairKey(projectKey, key);
    const row = this.rows.get(id);
    if (!row || row.version !== expectedVersion) return false;
    this.rows.set(id, {
      ...row,
      definition: viaJson(patch.definition),
      archived: patch.archived,
      version: expectedVersion + 1,
      updatedAt: now,
    });
    return true;
  }
}

/** The flag config store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryConfigStore implements ConfigStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<ConfigRecord>('flag_configs');
  }

  async get(environmentId: string, flagKey: string) {
    const row = this.rows.get(pairKey(environmentId, flagKey));
    return row && copyOf(row);
  }

  /** No lock to take: the memory unit of work runs one write at a time. */
  async getForUpdate(environmentId: string, flagKey: string) {
    return this.get(environmentId, flagKey);
  }

  async listByEnvironment(environmentId: string) {
    return sortBy(
      [...this.rows.values()].filter((c) => c.environmentId === environmentId),
      (c) => c.flagKey,
    ).map(copyOf);
  }

  async listByFlag(projectKey: string, flagKey: string) {
    return sortBy(
      [...this.rows.values()].filter((c) => c.projectKey === projectKey && c.flagKey === flagKey),
      (c) => c.environmentId,
    ).map(copyOf);
  }

  async configsOf(projectKey: string, flagKeys: readonly string[]) {
    const wanted = new Set(flagKeys);
    const rows = [...this.rows.values()].filter((c) => c.projectKey === projectKey && wanted.has(c.flagKey));
    return sortBy(rows, (c) => `${c.flagKey}\u0000${c.environmentId}`).map(copyOf);
  }

  async insert(c: ConfigRecord) {
    const id = pairKey(c.environmentId, c.flagKey);
    if (this.rows.has(id)) throw new DuplicateKeyError(`config of ${c.flagKey} in ${c.environmentId}`);
    this.rows.set(id, {
      environmentId: c.environmentId,
      projectKey: c.projectKey,
      flagKey: c.flagKey,
      config: viaJson(c.config),
      version: c.version,
      updatedAt: c.updatedAt,
    });
  }

  async update(environmentId: string, flagKey: string, expectedVersion: number, config: FlagConfig, now: string) {
    const id = pairKey(environmentId, flagKey);
    const row = this.rows.get(id);
    if (!row || row.version !== expectedVersion) return false;
    this.rows.set(id, { ...row, config: viaJson(config), version: expectedVersion + 1, updatedAt: now });
    return true;
  }

  async deleteByEnvironment(environmentId: string) {
    let n = 0;
    for (const [id, c] of this.rows) if (c.environmentId === environmentId && this.rows.delete(id)) n++;
    return n;
  }
}
