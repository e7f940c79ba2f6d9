/** The rollout store over kysely: one code path for MySQL and SQLite. */
import type { Kysely, Selectable } from 'kysely';
import { insertUnique } from '../db/unique-violation.ts';
import type { AnalysisCounters } from './analysis/decide.ts';
import type { Policy } from './policy/policy.ts';
import type { RolloutEvent, RolloutRecord, RolloutStatus, TickRecord } from './rollout-record.ts';
import type { RolloutListQuery, RolloutStore } from './rollout-store.ts';
import type { Database } from '../db/schema.ts';
import type { RolloutsTable } from './rollout-tables.ts';

const toRecord = (r: Selectable<RolloutsTable>): RolloutRecord => ({
  id: Number(r.id),
  projectKey: r.project_key,
  environmentId: r.environment_id,
  flagKey: r.flag_key,
  policyName: r.policy_name,
  policy: JSON.parse(r.policy) as Policy,
  treatment: r.treatment,
  control: r.control,
  status: r.status as RolloutStatus,
  stepIndex: Number(r.step_index),
  stepStartedAt: r.step_started_at,
  weightUnits: Number(r.weight_units),
  tickSeq: Number(r.tick_seq),
  nextTickAt: r.next_tick_at,
  approvedStep: r.approved_step === null ? null : Number(r.approved_step),
  counters: JSON.parse(r.counters) as AnalysisCounters,
  lastReason: r.last_reason,
  version: Number(r.version),
  createdBy: r.created_by,
  requestedByOwner: r.requested_by_owner,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

type Row = Omit<Selectable<RolloutsTable>, 'id'>;
function toRow(r: Partial<Omit<RolloutRecord, 'id' | 'version'>>): Partial<Row> {
  const row: Partial<Row> = {};
  if (r.projectKey !== undefined) row.project_key = r.projectKey;
  if (r.environmentId !== undefined) row.environment_id = r.environmentId;
  if (r.flagKey !== undefined) row.flag_key = r.flagKey;
  if (r.policyName !== undefined) row.policy_name = r.policyName;
  if (r.policy !== undefined) row.policy = JSON.stringify(r.policy);
  if (r.treatment !== undefined) row.treatment = r.treatment;
  if (r.control !== undefined) row.control = r.control;
  if (r.status !== undefined) row.status = r.status;
  if (r.stepIndex !== undefined) row.step_index = r.stepIndex;
  if (r.stepStartedAt !== undefined) row.step_started_at = r.stepStartedAt;
  if (r.weightUnits !== undefined) row.weight_units = r.weightUnits;
  if (r.tickSeq !== undefined) row.tick_seq = r.tickSeq;
  if (r.nextTickAt !== undefined) row.next_tick_at = r.nextTickAt;
  if (r.approvedStep !== undefined) row.approved_step = r.approvedStep;
  if (r.counters !== undefined) row.counters = JSON.stringify(r.counters);
  if (r.lastReason !== undefined) row.last_reason = r.lastReason;
  if (r.createdBy !== undefined) row.created_by = r.createdBy;
  if (r.requestedByOwner !== undefined) row.requested_by_owner = r.requestedByOwner;
  if (r.createdAt !== undefined) row.created_at = r.createdAt;
  if (r.updatedAt !== undefined) row.updated_at = r.updatedAt;
  return row;
}

export class KyselyRolloutStore implements RolloutStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(r: Omit<RolloutRecord, 'id'>): Promise<number> {
    const result = await this.db
      .insertInto('rollouts')
      .values({ ...(toRow(r) as Row), version: r.version })
      .executeTakeFirstOrThrow();
    return Number(result.insertId);
  }

  async get(id: number): Promise<RolloutRecord | undefined> {
    const r = await this.db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  async findActive(environmentId: string, flagKey: string): Promise<RolloutRecord | undefined> {
    const r = await this.db
      .selectFrom('rollouts')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('flag_key', '=', flagKey)
      .where('status', 'in', ['running', 'awaiting-approval', 'paused'])
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  async list(q: RolloutListQuery): Promise<RolloutRecord[]> {
    let query = this.db.selectFrom('rollouts').selectAll();
    if (q.projectKey) query = query.where('project_key', '=', q.projectKey);
    if (q.environmentId) query = query.where('environment_id', '=', q.environmentId);
    if (q.flagKey) query = query.where('flag_key', '=', q.flagKey);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.statuses) query = query.where('status', 'in', [...q.statuses]);
    // ISO times of one format (toISOString) compare as strings.
    if (q.updatedFrom) query = query.where('updated_at', '>=', q.updatedFrom);
    if (q.updatedTo) query = query.where('updated_at', '<', q.updatedTo);
    if (q.before !== undefined) query = query.where('id', '<', q.before);
    return (await query.orderBy('id', 'desc').limit(q.limit).execute()).map(toRecord);
  }

  async listByStatus(statuses: readonly RolloutStatus[], limit: number): Promise<RolloutRecord[]> {
    const rows = await this.db
      .selectFrom('rollouts')
      .selectAll()
      .where('status', 'in', [...statuses])
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async listOverdue(before: string, limit: number): Promise<RolloutRecord[]> {
    const rows = await this.db
      .selectFrom('rollouts')
      .selectAll()
      .where('status', 'in', ['running', 'awaiting-approval'])
      .where('next_tick_at', '<', before)
      .orderBy('next_tick_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async update(
    id: number,
    expectedVersion: number,
    patch: Partial<Omit<RolloutRecord, 'id' | 'version'>>,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('rollouts')
      .set({ ...toRow(patch), version: expectedVersion + 1 })
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async insertTick(t: TickRecord): Promise<void> {
    await insertUnique(`tick ${t.seq} of rollout ${t.rolloutId}`, () =>
      this.db
        .insertInto('rollout_ticks')
        .values({
          rollout_id: t.rolloutId,
          seq: t.seq,
          at: t.at,
          step_index: t.stepIndex,
          weight_units: t.weightUnits,
          decision: t.decision,
          reason: t.reason,
          evidence: JSON.stringify(t.evidence),
          lag_ms: Math.round(t.lagMs),
        })
        .execute(),
    );
  }

  async ticks(rolloutId: number, limit: number): Promise<TickRecord[]> {
    const rows = await this.db
      .selectFrom('rollout_ticks')
      .selectAll()
      .where('rollout_id', '=', rolloutId)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      rolloutId: Number(r.rollout_id),
      seq: Number(r.seq),
      at: r.at,
      stepIndex: Number(r.step_index),
      weightUnits: Number(r.weight_units),
      decision: r.decision as TickRecord['decision'],
      reason: r.reason,
      evidence: JSON.parse(r.evidence) as unknown,
      lagMs: Number(r.lag_ms),
    }));
  }

  async appendEvent(e: RolloutEvent): Promise<void> {
    await this.db
      .insertInto('rollout_events')
      .values({
        rollout_id: e.rolloutId,
        at: e.at,
        kind: e.kind,
        actor: e.actor,
        step_index: e.stepIndex,
        weight_units: e.weightUnits,
        reason: e.reason,
      })
      .execute();
  }

  async events(rolloutId: number): Promise<RolloutEvent[]> {
    const rows = await this.db
      .selectFrom('rollout_events')
      .selectAll()
      .where('rollout_id', '=', rolloutId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      rolloutId: Number(r.rollout_id),
      at: r.at,
      kind: r.kind as RolloutEvent['kind'],
      actor: r.actor,
      stepIndex: Number(r.step_index),
      weightUnits: Number(r.weight_units),
      reason: r.reason,
    }));
  }
}
