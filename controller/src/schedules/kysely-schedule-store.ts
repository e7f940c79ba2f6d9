/** The schedule store over kysely: one code path for MySQL and SQLite. */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ScheduleAuthor, ScheduleChange, ScheduleRecord, ScheduleStatus } from './schedule-record.ts';
import { PENDING_STATUSES } from './schedule-record.ts';
import type { ScheduleListQuery, SchedulePatch, ScheduleStore } from './schedule-store.ts';
import type { SchedulesTable } from './schedule-tables.ts';

const toRecord = (r: Selectable<SchedulesTable>): ScheduleRecord => ({
  id: Number(r.id),
  projectKey: r.project_key,
  environmentId: r.environment_id,
  flagKey: r.flag_key,
  at: r.at,
  comment: r.comment,
  change: JSON.parse(r.change) as ScheduleChange,
  status: r.status as ScheduleStatus,
  version: Number(r.version),
  author: { keyId: r.author_key_id, name: r.author_name, owner: r.author_owner },
  changeRequestId: r.change_request_id,
  approvedBy: r.approved_by === null ? null : (JSON.parse(r.approved_by) as ScheduleAuthor),
  outcome: r.outcome,
  appliedVersion: r.applied_version === null ? null : Number(r.applied_version),
  rolloutId: r.rollout_id === null ? null : Number(r.rollout_id),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function patchRow(p: SchedulePatch): Partial<Selectable<SchedulesTable>> {
  const row: Partial<Selectable<SchedulesTable>> = {};
  if (p.status !== undefined) row.status = p.status;
  if (p.approvedBy !== undefined) row.approved_by = p.approvedBy === null ? null : JSON.stringify(p.approvedBy);
  if (p.outcome !== undefined) row.outcome = p.outcome;
  if (p.appliedVersion !== undefined) row.applied_version = p.appliedVersion;
  if (p.rolloutId !== undefined) row.rollout_id = p.rolloutId;
  if (p.updatedAt !== undefined) row.updated_at = p.updatedAt;
  return row;
}

export class KyselyScheduleStore implements ScheduleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(r: Omit<ScheduleRecord, 'id'>): Promise<number> {
    const result = await this.db
      .insertInto('schedules')
      .values({
        project_key: r.projectKey,
        environment_id: r.environmentId,
        flag_key: r.flagKey,
        at: r.at,
        comment: r.comment,
        kind: r.change.kind,
        change: JSON.stringify(r.change),
        status: r.status,
        version: r.version,
        author_key_id: r.author.keyId,
        author_name: r.author.name,
        author_owner: r.author.owner,
        change_request_id: r.changeRequestId,
        approved_by: r.approvedBy === null ? null : JSON.stringify(r.approvedBy),
        outcome: r.outcome,
        applied_version: r.appliedVersion,
        rollout_id: r.rolloutId,
        created_at: r.createdAt,
        updated_at: r.updatedAt,
      })
      .executeTakeFirstOrThrow();
    return Number(result.insertId);
  }

  async get(id: number): Promise<ScheduleRecord | undefined> {
    const r = await this.db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  async findByChangeRequest(changeRequestId: string): Promise<ScheduleRecord | undefined> {
    const r = await this.db
      .selectFrom('schedules')
      .selectAll()
      .where('change_request_id', '=', changeRequestId)
      .executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  async list(q: ScheduleListQuery): Promise<ScheduleRecord[]> {
    let query = this.db.selectFrom('schedules').selectAll();
    if (q.projectKey) query = query.where('project_key', '=', q.projectKey);
    if (q.environmentId) query = query.where('environment_id', '=', q.environmentId);
    if (q.flagKey) query = query.where('flag_key', '=', q.flagKey);
    if (q.statuses) query = query.where('status', 'in', [...q.statuses]);
    const after = q.after;
    if (after)
      query = query.where((eb) =>
        eb.or([eb('at', '>', after.at), eb.and([eb('at', '=', after.at), eb('id', '>', after.id)])]),
      );
    return (await query.orderBy('at').orderBy('id').limit(q.limit).execute()).map(toRecord);
  }

  async listPending(until: string | undefined, limit: number): Promise<ScheduleRecord[]> {
    let query = this.db
      .selectFrom('schedules')
      .selectAll()
      .where('status', 'in', [...PENDING_STATUSES]);
    if (until !== undefined) query = query.where('at', '<=', until);
    return (await query.orderBy('at').orderBy('id').limit(limit).execute()).map(toRecord);
  }

  async update(id: number, expectedVersion: number, patch: SchedulePatch): Promise<boolean> {
    const result = await this.db
      .updateTable('schedules')
      .set({ ...patchRow(patch), version: expectedVersion + 1 })
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
