import type { Kysely, Selectable } from 'kysely';
import type { AuditLogTable, Database } from '../db/schema.ts';
import type { AuditEntry, AuditQuery, AuditStore } from './audit-store.ts';

const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

const toEntry = (r: Selectable<AuditLogTable>): AuditEntry => ({
  id: String(r.id),
  at: r.at,
  actor: { keyId: r.actor_key_id, name: r.actor_name, ...(r.actor_owner !== null ? { owner: r.actor_owner } : {}) },
  action: r.action,
  entityType: r.entity_type,
  entityKey: r.entity_key,
  projectKey: r.project_key,
  environmentId: r.environment_id,
  flagKey: r.flag_key,
  before: parse(r.before_json),
  after: parse(r.after_json),
  diff: JSON.parse(r.diff_json) as AuditEntry['diff'],
  reason: r.reason,
  requestId: r.request_id,
});

/** Only INSERT and SELECT on audit_log: there is deliberately no update or delete here. */
export class KyselyAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(e: Omit<AuditEntry, 'id'>) {
    await this.db
      .insertInto('audit_log')
      .values({
        at: e.at,
        actor_key_id: e.actor.keyId,
        actor_name: e.actor.name,
        actor_owner: e.actor.owner ?? null,
        action: e.action,
        entity_type: e.entityType,
        entity_key: e.entityKey,
        project_key: e.projectKey,
        environment_id: e.environmentId,
        flag_key: e.flagKey,
        before_json: e.before === undefined || e.before === null ? null : JSON.stringify(e.before),
        after_json: e.after === undefined || e.after === null ? null : JSON.stringify(e.after),
        diff_json: JSON.stringify(e.diff),
        reason: e.reason,
        request_id: e.requestId,
      })
      .execute();
  }

  async query(q: AuditQuery) {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (q.project) query = query.where('project_key', '=', q.project);
    if (q.flag) query = query.where('flag_key', '=', q.flag);
    if (q.environment) query = query.where('environment_id', '=', q.environment);
    if (q.actor) query = query.where('actor_key_id', '=', q.actor);
    if (q.action) query = query.where('action', '=', q.action);
    if (q.from) query = query.where('at', '>=', q.from);
    if (q.to) query = query.where('at', '<=', q.to);
    if (q.before !== undefined) query = query.where('id', '<', q.before);
    return (await query.orderBy('id', 'desc').limit(q.limit).execute()).map(toEntry);
  }
}
