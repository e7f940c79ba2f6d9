import { copyOf, type MemoryDatabase, pairKey, sortBy, viaJson } from '../db/memory-database.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import {
  ACTIVE_STATUSES,
  type RolloutEvent,
  type RolloutRecord,
  type RolloutStatus,
  TICKING_STATUSES,
  type TickRecord,
} from './rollout-record.ts';
import type { RolloutListQuery, RolloutStore } from './rollout-store.ts';

type Patch = Partial<Omit<RolloutRecord, 'id' | 'version'>>;
type EventRow = RolloutEvent & { id: number };

// The columns an update may set, as the kysely store's toRow(): an undefined member is left alone.
const FIELDS = [
  'projectKey',
  'environmentId',
  'flagKey',
  'policyName',
  'policy',
  'treatment',
  'control',
  'status',
  'stepIndex',
  'stepStartedAt',
  'weightUnits',
  'tickSeq',
  'nextTickAt',
  'approvedStep',
  'counters',
  'lastReason',
  'createdBy',
  'requestedByOwner',
  'createdAt',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof Patch>;

function applied(row: RolloutRecord, patch: Patch): RolloutRecord {
  const next: Record<string, unknown> = { ...row };
  for (const f of FIELDS)
    if (patch[f] !== undefined) next[f] = f === 'policy' || f === 'counters' ? viaJson(patch[f]) : patch[f];
  return next as unknown as RolloutRecord;
}

/** The rollout store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryRolloutStore implements RolloutStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<RolloutRecord>('rollouts');
  }

  private get tickRows() {
    return this.db.table<TickRecord>('rollout_ticks');
  }

  private get eventRows() {
    return this.db.table<EventRow>('rollout_events');
  }

  async insert(r: Omit<RolloutRecord, 'id'>) {
    const id = this.db.nextId('rollouts');
    this.rows.set(String(id), { ...applied({} as RolloutRecord, r), id, version: r.version });
    return id;
  }

  async get(id: number) {
    const row = this.rows.get(String(id));
    return row && copyOf(row);
  }

  async findActive(environmentId: string, flagKey: string) {
    const rows = [...this.rows.values()].filter(
      (r) => r.environmentId === environmentId && r.flagKey === flagKey && ACTIVE_STATUSES.includes(r.status),
    );
    const row = sortBy(rows, (r) => r.id, 'desc')[0];
    return row && copyOf(row);
  }

  async list(q: RolloutListQuery) {
    const rows = [...this.rows.values()].filter(
      (r) =>
        (!q.projectKey || r.projectKey === q.projectKey) &&
        (!q.environmentId || r.environmentId === q.environmentId) &&
        (!q.flagKey || r.flagKey === q.flagKey) &&
        (!q.status || r.status === q.status) &&
        (!q.statuses || q.statuses.includes(r.status)) &&
        (!q.updatedFrom || r.updatedAt >= q.updatedFrom) &&
        (!q.updatedTo || r.updatedAt < q.updatedTo) &&
        (q.before === undefined || r.id < q.before),
    );
    return sortBy(rows, (r) => r.id, 'desc')
      .slice(0, q.limit)
      .map(copyOf);
  }

  async listByStatus(statuses: readonly RolloutStatus[], limit: number) {
    return sortBy(
      [...this.rows.values()].filter((r) => statuses.includes(r.status)),
      (r) => r.id,
    )
      .slice(0, limit)
      .map(copyOf);
  }

  async listOverdue(before: string, limit: number) {
    const rows = sortBy(
      [...this.rows.values()].filter((r) => TICKING_STATUSES.includes(r.status) && r.nextTickAt < before),
      (r) => r.id,
    );
    return sortBy(rows, (r) => r.nextTickAt)
      .slice(0, limit)
      .map(copyOf);
  }

  async update(id: number, expectedVersion: number, patch: Patch) {
    const row = this.rows.get(String(id));
    if (!row || row.version !== expectedVersion) return false;
    this.rows.set(String(id), { ...applied(row, patch), version: expectedVersion + 1 });
    return true;
  }

  async insertTick(t: TickRecord) {
    const id = pairKey(t.rolloutId, t.seq);
    if (this.tickRows.has(id)) throw new DuplicateKeyError(`tick ${t.seq} of rollout ${t.rolloutId}`);
    this.tickRows.set(id, {
      rolloutId: t.rolloutId,
      seq: t.seq,
      at: t.at,
      stepIndex: t.stepIndex,
      weightUnits: t.weightUnits,
      decision: t.decision,
      reason: t.reason,
      evidence: viaJson(t.evidence),
      lagMs: Math.round(t.lagMs),
    });
  }

  async ticks(rolloutId: number, limit: number) {
    return sortBy(
      [...this.tickRows.values()].filter((t) => t.rolloutId === rolloutId),
      (t) => t.seq,
      'desc',
    )
      .slice(0, limit)
      .map(copyOf);
  }

  async appendEvent(e: RolloutEvent) {
    const id = this.db.nextId('rollout_events');
    this.eventRows.set(String(id), {
      id,
      rolloutId: e.rolloutId,
      at: e.at,
      kind: e.kind,
      actor: e.actor,
      stepIndex: e.stepIndex,
      weightUnits: e.weightUnits,
      reason: e.reason ?? null,
    });
  }

  async events(rolloutId: number) {
    return sortBy(
      [...this.eventRows.values()].filter((e) => e.rolloutId === rolloutId),
      (e) => e.id,
    ).map(({ id: _id, ...e }) => copyOf(e));
  }
}
