import { copyOf, type MemoryDatabase, sortBy, viaJson } from '../db/memory-database.ts';
import { PENDING_STATUSES, type ScheduleRecord } from './schedule-record.ts';
import type { ScheduleListQuery, SchedulePatch, ScheduleStore } from './schedule-store.ts';

const soonest = (rows: ScheduleRecord[]) =>
  rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id)).map((r) => copyOf(r));

/** The schedule store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryScheduleStore implements ScheduleStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<ScheduleRecord>('schedules');
  }

  async insert(r: Omit<ScheduleRecord, 'id'>): Promise<number> {
    const id = this.db.nextId('schedules');
    // Through JSON, as the kysely store keeps the change and the approver as JSON columns.
    this.rows.set(String(id), viaJson({ ...r, id }));
    return id;
  }

  async get(id: number) {
    const row = this.rows.get(String(id));
    return row && copyOf(row);
  }

  async findByChangeRequest(changeRequestId: string) {
    const row = sortBy(
      [...this.rows.values()].filter((r) => r.changeRequestId === changeRequestId),
      (r) => r.id,
    )[0];
    return row && copyOf(row);
  }

  async list(q: ScheduleListQuery) {
    const after = q.after;
    const rows = [...this.rows.values()].filter(
      (r) =>
        (!q.projectKey || r.projectKey === q.projectKey) &&
        (!q.environmentId || r.environmentId === q.environmentId) &&
        (!q.flagKey || r.flagKey === q.flagKey) &&
        (!q.statuses || q.statuses.includes(r.status)) &&
        (!after || r.at > after.at || (r.at === after.at && r.id > after.id)),
    );
    return soonest(rows).slice(0, q.limit);
  }

  async listPending(until: string | undefined, limit: number) {
    const rows = [...this.rows.values()].filter(
      (r) => PENDING_STATUSES.includes(r.status) && (until === undefined || r.at <= until),
    );
    return soonest(rows).slice(0, limit);
  }

  async update(id: number, expectedVersion: number, patch: SchedulePatch) {
    const row = this.rows.get(String(id));
    if (!row || row.version !== expectedVersion) return false;
    const next: ScheduleRecord = { ...row, version: expectedVersion + 1 };
    for (const [k, v] of Object.entries(patch))
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    this.rows.set(String(id), viaJson(next));
    return true;
  }
}
