import type { FlagConfig } from '@flagship/evaluator';
import type { Kysely, Selectable } from 'kysely';
import type { ChangeRequestsTable, Database } from '../db/schema.ts';
import type {
  ChangeRequestKind,
  ChangeRequestPayload,
  ChangeRequestRecord,
  ChangeRequestStatus,
  ChangeRequestStore,
  Review,
} from './change-request-store.ts';

const toRecord = (r: Selectable<ChangeRequestsTable>): ChangeRequestRecord => ({
  id: String(r.id),
  environmentId: r.environment_id,
  projectKey: r.project_key,
  flagKey: r.flag_key,
  kind: r.kind as ChangeRequestKind,
  config: JSON.parse(r.config) as FlagConfig | null,
  payload: r.payload === null ? null : (JSON.parse(r.payload) as ChangeRequestPayload),
  baseVersion: Number(r.base_version),
  comment: r.comment,
  status: r.status as ChangeRequestStatus,
  author: { keyId: r.author_key_id, name: r.author_name, owner: r.author_owner },
  reviews: JSON.parse(r.reviews) as Review[],
  appliedVersion: r.applied_version === null ? null : Number(r.applied_version),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const asId = (id: string): number | undefined => (/^[1-9][0-9]{0,14}$/.test(id) ? Number(id) : undefined);

export class KyselyChangeRequestStore implements ChangeRequestStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(cr: Omit<ChangeRequestRecord, 'id'>) {
    const r = await this.db
      .insertInto('change_requests')
      .values({
        environment_id: cr.environmentId,
        project_key: cr.projectKey,
        flag_key: cr.flagKey,
        kind: cr.kind,
        config: JSON.stringify(cr.config),
        payload: cr.payload === null ? null : JSON.stringify(cr.payload),
        base_version: cr.baseVersion,
        comment: cr.comment,
        status: cr.status,
        author_key_id: cr.author.keyId,
        author_name: cr.author.name,
        author_owner: cr.author.owner,
        reviews: JSON.stringify(cr.reviews),
        applied_version: cr.appliedVersion,
        created_at: cr.createdAt,
        updated_at: cr.updatedAt,
      })
      .executeTakeFirstOrThrow();
    return String(r.insertId);
  }

  async get(id: string) {
    const n = asId(id);
    if (n === undefined) return undefined;
    const row = await this.db.selectFrom('change_requests').selectAll().where('id', '=', n).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(environmentId: string, status?: ChangeRequestStatus) {
    let q = this.db.selectFrom('change_requests').selectAll().where('environment_id', '=', environmentId);
    if (status) q = q.where('status', '=', status);
    return (await q.orderBy('id', 'desc').limit(500).execute()).map(toRecord);
  }

  async decide(
    id: string,
    status: ChangeRequestStatus,
    reviews: Review[],
    appliedVersion: number | null,
    now: string,
    payload?: ChangeRequestPayload | null,
  ) {
    const n = asId(id);
    if (n === undefined) return false;
    const r = await this.db
      .updateTable('change_requests')
      .set({
        status,
        reviews: JSON.stringify(reviews),
        applied_version: appliedVersion,
        updated_at: now,
        ...(payload !== undefined ? { payload: payload === null ? null : JSON.stringify(payload) } : {}),
      })
      .where('id', '=', n)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteByEnvironment(environmentId: string) {
    const r = await this.db
      .deleteFrom('change_requests')
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
