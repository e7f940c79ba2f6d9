import { copyOf, type MemoryDatabase, sortBy } from '../db/memory-database.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { ApiKeyRecord, ApiKeyStore, EvaluatorRole } from './api-key-store.ts';

type Row = ApiKeyRecord & { tokenHash: string };

const toRecord = ({ tokenHash: _h, ...record }: Row): ApiKeyRecord => copyOf(record);

/** The API key store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<Row>('api_keys');
  }

  private active(): Row[] {
    return sortBy(
      [...this.rows.values()].filter((k) => k.revokedAt === null),
      (k) => Number(k.id),
    );
  }

  async findActiveByHash(tokenHash: string) {
    const row = this.active().find((k) => k.tokenHash === tokenHash);
    return row && toRecord(row);
  }

  async get(id: string) {
    const row = this.rows.get(id);
    return row && toRecord(row);
  }

  async list() {
    return sortBy([...this.rows.values()], (k) => Number(k.id)).map(toRecord);
  }

  async insert(k: Omit<ApiKeyRecord, 'id' | 'revokedAt'>, tokenHash: string) {
    // The hash is unique over every key, revoked ones too, as in the schema.
    if ([...this.rows.values()].some((r) => r.tokenHash === tokenHash)) throw new DuplicateKeyError('api key');
    const id = String(this.db.nextId('api_keys'));
    this.rows.set(id, {
      id,
      name: k.name,
      role: k.role,
      environments: k.environments === null ? null : [...k.environments],
      tokenPrefix: k.tokenPrefix,
      owner: k.owner,
      createdAt: k.createdAt,
      createdBy: k.createdBy,
      revokedAt: null,
      tokenHash,
    });
    return id;
  }

  async revoke(id: string, now: string) {
    const row = this.rows.get(id);
    if (!row || row.revokedAt !== null) return false;
    this.rows.set(id, { ...row, revokedAt: now });
    return true;
  }

  async setEnvironments(id: string, environments: string[]) {
    const row = this.rows.get(id);
    if (!row || row.revokedAt !== null) return false;
    this.rows.set(id, { ...row, environments: [...environments] });
    return true;
  }

  async activeSdkHashes(environmentId: string) {
    return this.activeHashes(environmentId, 'sdk');
  }

  async activeClientHashes(environmentId: string) {
    return this.activeHashes(environmentId, 'client');
  }

  private activeHashes(environmentId: string, role: EvaluatorRole) {
    return this.active()
      .filter((k) => k.role === role && k.environments !== null && k.environments.includes(environmentId))
      .map((k) => k.tokenHash);
  }

  async countActiveAdmins() {
    return this.active().filter((k) => k.role === 'admin' && k.environments === null).length;
  }
}
