import { copyOf, type MemoryDatabase, sortBy, viaJson } from '../db/memory-database.ts';
import type { AuditEntry, AuditQuery, AuditStore } from './audit-store.ts';

const jsonOrNull = (v: unknown): unknown => (v === undefined || v === null ? null : viaJson(v));

/** The audit store in memory: append and query only, like the kysely one (test-support/store-contract.ts). */
export class MemoryAuditStore implements AuditStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<AuditEntry>('audit_log');
  }

  async append(e: Omit<AuditEntry, 'id'>) {
    const id = String(this.db.nextId('audit_log'));
    this.rows.set(id, {
      id,
      at: e.at,
      actor: {
        keyId: e.actor.keyId,
        name: e.actor.name,
        ...(e.actor.owner !== undefined && e.actor.owner !== null ? { owner: e.actor.owner } : {}),
      },
      action: e.action,
      entityType: e.entityType,
      entityKey: e.entityKey,
      projectKey: e.projectKey ?? null,
      environmentId: e.environmentId ?? null,
      flagKey: e.flagKey ?? null,
      before: jsonOrNull(e.before),
      after: jsonOrNull(e.after),
      diff: viaJson(e.diff),
      reason: e.reason ?? null,
      requestId: e.requestId ?? null,
    });
  }

  async query(q: AuditQuery) {
    const rows = [...this.rows.values()].filter(
      (e) =>
        (!q.project || e.projectKey === q.project) &&
        (!q.flag || e.flagKey === q.flag) &&
        (!q.environment || e.environmentId === q.environment) &&
        (!q.actor || e.actor.keyId === q.actor) &&
        (!q.action || e.action === q.action) &&
        (!q.from || e.at >= q.from) &&
        (!q.to || e.at <= q.to) &&
        (q.before === undefined || Number(e.id) < q.before),
    );
    return sortBy(rows, (e) => Number(e.id), 'desc')
      .slice(0, q.limit)
      .map(copyOf);
  }
}
