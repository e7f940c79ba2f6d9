import type { RolloutEvent, RolloutRecord, RolloutStatus, TickRecord } from './rollout-record.ts';

export interface RolloutListQuery {
  projectKey?: string;
  environmentId?: string;
  flagKey?: string;
  status?: RolloutStatus;
  /** Any of these statuses (the rollback review asks for rolled-back and paused at once). */
  statuses?: readonly RolloutStatus[];
  /** Last changed at or after / before this ISO time: a rollback or a pause is the last change of its row. */
  updatedFrom?: string;
  updatedTo?: string;
  /** Keyset pagination: ids strictly below this one (newest first). */
  before?: number;
  limit: number;
}

export interface RolloutStore {
  insert(r: Omit<RolloutRecord, 'id'>): Promise<number>;
  get(id: number): Promise<RolloutRecord | undefined>;
  /** The active (running, awaiting approval or paused) rollout of a flag in an environment. */
  findActive(environmentId: string, flagKey: string): Promise<RolloutRecord | undefined>;
  list(q: RolloutListQuery): Promise<RolloutRecord[]>;
  /** Rollouts whose status is one of these (the reconciler's query). */
  listByStatus(statuses: readonly RolloutStatus[], limit: number): Promise<RolloutRecord[]>;
  /** Ticking rollouts whose next tick was due before `before` (ISO time): their job may be lost. */
  listOverdue(before: string, limit: number): Promise<RolloutRecord[]>;
  /** Conditional on `expectedVersion`; writes version + 1. False when the version moved. */
  update(id: number, expectedVersion: number, patch: Partial<Omit<RolloutRecord, 'id' | 'version'>>): Promise<boolean>;
  /** Throws on a duplicate (rolloutId, seq): a tick is recorded at most once. */
  insertTick(t: TickRecord): Promise<void>;
  ticks(rolloutId: number, limit: number): Promise<TickRecord[]>;
  appendEvent(e: RolloutEvent): Promise<void>;
  events(rolloutId: number): Promise<RolloutEvent[]>;
}
