import { copyOf, type MemoryDatabase, sortBy, viaJson } from '../db/memory-database.ts';
import type {
  ChangeRequestPayload,
  ChangeRequestRecord,
  ChangeRequestStatus,
  ChangeRequestStore,
  Review,
} from './change-request-store.ts';

/** The change request store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryChangeRequestStore implements ChangeRequestStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<ChangeRequestRecord>('change_requests');
  }

  async insert(cr: Omit<ChangeRequestRecord, 'id'>) {
    const id = String(this.db.nextId('change_requests'));
    this.rows.set(id, {
      id,
      environmentId: cr.environmentId,
      projectKey: cr.projectKey,
      flagKey: cr.flagKey,
      kind: cr.kind,
      config: cr.config === null ? null : viaJson(cr.config),
      payload: cr.payload === null ? null : viaJson(cr.payload),
      baseVersion: cr.baseVersion,
      comment: cr.comment,
      status: cr.status,
      author: { keyId: cr.author.keyId, name: cr.author.name, owner: cr.author.owner },
      reviews: viaJson(cr.reviews),
      appliedVersion: cr.appliedVersion,
      createdAt: cr.createdAt,
      updatedAt: cr.updatedAt,
    });
    return id;
  }

  async get(id: string) {
    const row = this.rows.get(id);
    return row && copyOf(row);
  }

  async list(environmentId: string, status?: ChangeRequestStatus) {
    const rows = [...this.rows.values()].filter(
      (c) => c.environmentId === environmentId && (!status || c.status === status),
    );
    return sortBy(rows, (c) => Number(c.id), 'desc')
      .slice(0, 500)
      .map(copyOf);
  }

  async decide(
    id: string,
    status: ChangeRequestStatus,
    reviews: Review[],
    appliedVersion: number | null,
    now: string,
    payload?: ChangeRequestPayload | null,
  ) {
    const row = this.rows.get(id);
    if (!row || row.status !== 'pending') return false;
    this.rows.set(id, {
      ...row,
      status,
      reviews: viaJson(reviews),
      appliedVersion,
      updatedAt: now,
      ...(payload !== undefined ? { payload: payload === null ? null : viaJson(payload) } : {}),
    });
    return true;
  }

  async deleteByEnvironment(environmentId: string) {
    let n = 0;
    for (const [id, c] of this.rows) if (c.environmentId === environmentId && this.rows.delete(id)) n++;
    return n;
  }
}
