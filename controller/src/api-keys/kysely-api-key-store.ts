import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database } from '../db/schema.ts';
import { dialectOf } from '../db/create-database.ts';
import { insertUnique } from '../db/unique-violation.ts';
import type { ApiKeyRecord, ApiKeyStore, EvaluatorRole, Role } from './api-key-store.ts';

const toRecord = (r: Selectable<ApiKeysTable>): ApiKeyRecord => ({
  id: String(r.id),
  name: r.name,
  role: r.role as Role,
  environments: r.environments === null ? null : (JSON.parse(r.environments) as string[]),
  tokenPrefix: r.token_prefix,
  owner: r.owner,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});

const asId = (id: string): number | undefined => (/^[1-9][0-9]{0,14}$/.test(id) ? Number(id) : undefined);

export class KyselyApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async findActiveByHash(tokenHash: string) {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async get(id: string) {
    const n = asId(id);
    if (n === undefined) return undefined;
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', n).executeTakeFirst();
    return row && toRecord(row);
  }

  async list() {
    return (await this.db.selectFrom('api_keys').selectAll().orderBy('id').execute()).map(toRecord);
  }

  async insert(k: Omit<ApiKeyRecord, 'id' | 'revokedAt'>, tokenHash: string) {
    const r = await insertUnique('api key', () =>
      this.db
        .insertInto('api_keys')
        .values({
          name: k.name,
          role: k.role,
          environments: k.environments === null ? null : JSON.stringify(k.environments),
          token_hash: tokenHash,
          token_prefix: k.tokenPrefix,
          owner: k.owner,
          created_at: k.createdAt,
          created_by: k.createdBy,
          revoked_at: null,
        })
        .executeTakeFirstOrThrow(),
    );
    return String(r.insertId);
  }

  async revoke(id: string, now: string) {
    const n = asId(id);
    if (n === undefined) return false;
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', n)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setEnvironments(id: string, environments: string[]) {
    const n = asId(id);
    if (n === undefined) return false;
    const r = await this.db
      .updateTable('api_keys')
      .set({ environments: JSON.stringify(environments) })
      .where('id', '=', n)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async activeSdkHashes(environmentId: string) {
    return this.activeHashes(environmentId, 'sdk');
  }

  async activeClientHashes(environmentId: string) {
    return this.activeHashes(environmentId, 'client');
  }

  private async activeHashes(environmentId: string, role: EvaluatorRole) {
    const rows = await this.db
      .selectFrom('api_keys')
      .select(['token_hash', 'environments'])
      .where('role', '=', role)
      .where('revoked_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows
      .filter((r) => r.environments !== null && (JSON.parse(r.environments) as string[]).includes(environmentId))
      .map((r) => r.token_hash);
  }

  async countActiveAdmins() {
    // Locks the rows it counts (MySQL; SQLite runs one writer at a time): two revokes of the
    // last two admins in parallel cannot both see "another admin is left".
    let q = this.db
      .selectFrom('api_keys')
      .select('id')
      .where('role', '=', 'admin')
      .where('revoked_at', 'is', null)
      .where('environments', 'is', null);
    if (dialectOf(this.db) === 'mysql') q = q.forUpdate();
    return (await q.execute()).length;
  }
}
