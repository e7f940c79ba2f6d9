import type { ScheduleRecord, ScheduleStatus } from './schedule-record.ts';

export interface ScheduleListQuery {
  projectKey?: string;
  environmentId?: string;
  flagKey?: string;
  statuses?: readonly ScheduleStatus[];
  /** Keyset pagination, soonest first: schedules strictly after this (at, id). */
  after?: { at: string; id: number };
  limit: number;
}

/** What a transition may change; `id`, the place and the change itself never change. */
export type SchedulePatch = Partial<
  Pick<ScheduleRecord, 'status' | 'approvedBy' | 'outcome' | 'appliedVersion' | 'rolloutId' | 'updatedAt'>
>;

export interface ScheduleStore {
  insert(r: Omit<ScheduleRecord, 'id'>): Promise<number>;
  get(id: number): Promise<ScheduleRecord | undefined>;
  /** The schedule a change request of kind `schedule` carries. */
  findByChangeRequest(changeRequestId: string): Promise<ScheduleRecord | undefined>;
  /** Soonest first (at, then id). */
  list(q: ScheduleListQuery): Promise<ScheduleRecord[]>;
  /** Pending (scheduled or awaiting approval) schedules due at or before `until`, soonest first: the reconciler's query. */
  listPending(until: string | undefined, limit: number): Promise<ScheduleRecord[]>;
  /** Conditional on `expectedVersion`; writes version + 1. False when the version moved. */
  update(id: number, expectedVersion: number, patch: SchedulePatch): Promise<boolean>;
}
