/**
 * The rollout state machine. Every transition is one transaction that checks the rollout's
 * version, records the transition (event, tick evidence, audit row) and applies the resulting
 * flag-config change through the same path as a human edit, so it propagates like any change.
 * BullMQ jobs only trigger ticks; scheduling happens after commit and the reconciler re-arms
 * anything lost.
 */
import { requireEnvironment, requireRole } from '../auth/access.ts';
import type { Stores } from '../db/stores.ts';
import { environmentId } from '../environments/environment-store.ts';
import { assessChange, enforceImpact } from '../auth/change-impact.ts';
import { ApiError, badRequest, conflict, forbidden, notFound, staleVersion } from '../http/api-error.ts';
import type { RequestContext } from '../http/request-context.ts';
import { requireFlag } from '../flags/flag-service.ts';
import { writeConfig } from '../flags/config-writes.ts';
import { EMPTY_COUNTERS, type TickDecision } from './analysis/decide.ts';
import type { Policy } from './policy/policy.ts';
import { percentToUnits, withRamp } from './ramp-config.ts';
import { ACTIVE_STATUSES, TICKING_STATUSES, type RolloutEvent, type RolloutRecord, type RolloutStatus, type TickRecord } from './rollout-record.ts';
import { recordRolloutEvent, recordRolloutWebhook, type RolloutNotifier, type RolloutWebhookEvent } from './rollout-events.ts';
import type { RolloutListQuery, RolloutStore } from './rollout-store.ts';

/** The stores a rollout transaction needs. */
export type RolloutStores = Stores & { rollouts: RolloutStore };

/** What the service needs of the unit of work (the controller's UnitOfWork, with rollouts wired). */
export interface RolloutUnitOfWork {
  read<T>(fn: (s: RolloutStores) => Promise<T>): Promise<T>;
  write<T>(fn: (s: RolloutStores) => Promise<T>): Promise<T>;
}

/** Arms the BullMQ job for a tick; must be idempotent for the same (rollout, seq). */
export interface TickScheduler {
  schedule(rolloutId: number, tickSeq: number, atMs: number): Promise<void>;
}

// Defined beside the event writer, which environments/ also uses (an environment's deletion).
export type { RolloutNotifier, RolloutWebhookEvent } from './rollout-events.ts';

export interface PolicyCatalog {
  get(name: string): Policy | undefined;
  list(): Policy[];
}

/** The actor of every automated transition. */
export const CONTROLLER_ACTOR = { keyId: 'controller', name: 'rollout-controller', owner: 'rollout-controller', role: 'admin' as const, environments: null };

const iso = (ms: number) => new Date(ms).toISOString();

/** Decisions that only stand on data from the weight actually served (a rollback stands anyway). */
const HOLD_UNTIL_SERVED: ReadonlySet<string> = new Set(['advance', 'complete', 'await-approval', 'pause']);

export interface StartRollout {
  policy: string;
  treatment: string;
  control: string;
  reason?: string;
}

export type TickOutcome = 'applied' | 'stale';

export class RolloutService {
  constructor(
    private readonly uow: RolloutUnitOfWork,
    private readonly policies: PolicyCatalog,
    private readonly scheduler: TickScheduler,
    private readonly notifier: RolloutNotifier,
    private readonly clock: () => number = Date.now,
    private readonly log: (message: string, error?: unknown) => void = (m, e) => console.error(m, e ?? ''),
  ) {}

  /** Starts a rollout: applies step 1's weight and arms the first tick after the initial delay. */
  async start(ctx: RequestContext, projectKey: string, envKey: string, flagKey: string, body: StartRollout): Promise<RolloutRecord> {
    const env = environmentId(projectKey, envKey);
    requireRole(ctx.actor, 'editor');
    requireEnvironment(ctx.actor, env);
    const policy = this.policies.get(body.policy);
    if (!policy) throw new ApiError(422, 'VALIDATION_FAILED', `no policy named ${body.policy}`, { problems: [{ path: 'policy', message: `unknown policy "${body.policy}"; known: ${this.policies.list().map((p) => p.name).join(', ')}` }] });
    if (body.treatment === body.control) throw new ApiError(422, 'VALIDATION_FAILED', 'treatment and control must differ', { problems: [{ path: 'control', message: 'must differ from treatment' }] });
    const rollout = await this.uow.write((s) => this.startIn(s, ctx, projectKey, envKey, flagKey, body, policy));
    await this.arm(rollout);
    return rollout;
  }

  /**
   * The start inside the caller's transaction, re-validated. In an approval-required environment
   * only an approved change request starts one (`approved`, with `requestedBy` its author); the
   * caller arms the first tick after COMMIT (`armAfterCommit`).
   */
  async startIn(
    s: RolloutStores, ctx: RequestContext, projectKey: string, envKey: string, flagKey: string,
    body: Omit<StartRollout, 'policy'>, policy: Policy, o: { approved?: boolean; requestedBy?: { name: string; owner: string } } = {},
  ): Promise<RolloutRecord> {
    const env = environmentId(projectKey, envKey);
    const now = this.clock();
    {
      if (!(await s.environments.get(env))) throw notFound(`environment ${env}`);
      const flag = await requireFlag(s, projectKey, flagKey);
      const problems = (['treatment', 'control'] as const).filter((f) => !(body[f] in flag.definition.variants))
        .map((f) => ({ path: f, message: `flag ${flagKey} has no variant "${body[f]}"` }));
      if (problems.length > 0) throw new ApiError(422, 'VALIDATION_FAILED', 'unknown variant', { problems });
      const active = await s.rollouts.findActive(env, flagKey);
      if (active) throw conflict('ROLLOUT_ACTIVE', `flag ${flagKey} already has rollout ${active.id} (${active.status}) in ${env}`);
      const config = await s.configs.getForUpdate(env, flagKey);
      if (!config) throw notFound(`config of flag ${flagKey} in ${env}`);
      if (!config.config.enabled) throw conflict('FLAG_DISABLED', `flag ${flagKey} is disabled in ${env}; enable it before ramping it`);
      enforceImpact(ctx.actor, await assessChange(s, projectKey, [{ kind: 'rollout', environmentId: env, flagKey }]), { approved: o.approved, kind: 'rollout-start' });
      const weightUnits = percentToUnits(policy.steps[0]!.weight);
      await writeConfig(s, ctx, {
        flag, environmentId: env, expectedVersion: config.version, now: iso(now),
        config: withRamp(config.config, body.treatment, body.control, weightUnits),
        action: 'rollout.start', reason: body.reason ?? `rollout with policy ${policy.name}`,
      });
      const record: Omit<RolloutRecord, 'id'> = {
        projectKey, environmentId: env, flagKey, policyName: policy.name, policy, treatment: body.treatment, control: body.control,
        status: 'running', stepIndex: 0, stepStartedAt: iso(now), weightUnits, tickSeq: 1,
        nextTickAt: iso(now + Math.max(policy.analysis.initialDelay, policy.analysis.interval)),
        approvedStep: null, counters: EMPTY_COUNTERS, lastReason: null, version: 1,
        createdBy: o.requestedBy?.name ?? ctx.actor.name, requestedByOwner: o.requestedBy?.owner ?? ctx.actor.owner, createdAt: iso(now), updatedAt: iso(now),
      };
      const id = await s.rollouts.insert(record);
      await this.recordEvent(s, ctx, { ...record, id }, 'started', body.reason ?? null, now);
      return { ...record, id };
    }
  }

  /** After the COMMIT of a transaction that started or retried a rollout (change requests). */
  async armAfterCommit(r: RolloutRecord): Promise<void> {
    await this.arm(r);
  }

  async list(ctx: RequestContext, q: RolloutListQuery): Promise<RolloutRecord[]> {
    requireRole(ctx.actor, 'viewer');
    const rows = await this.uow.read((s) => s.rollouts.list(q));
    return ctx.actor.environments === null ? rows : rows.filter((r) => ctx.actor.environments!.includes(r.environmentId));
  }

  /** The rollout with its full timeline: transitions and every tick's evidence. */
  async get(ctx: RequestContext, id: number): Promise<{ rollout: RolloutRecord; events: RolloutEvent[]; ticks: TickRecord[] }> {
    requireRole(ctx.actor, 'viewer');
    return this.uow.read(async (s) => {
      const rollout = await s.rollouts.get(id);
      if (!rollout) throw notFound(`rollout ${id}`);
      requireEnvironment(ctx.actor, rollout.environmentId);
      return { rollout, events: await s.rollouts.events(id), ticks: await s.rollouts.ticks(id, 1000) };
    });
  }

  pause(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.humanTransition(ctx, id, version, 'editor', ['running', 'awaiting-approval'], async () => ({
      patch: { status: 'paused' as const, lastReason: reason }, event: 'paused' as const,
      webhook: ['rollout.paused', reason ?? `paused by ${ctx.actor.name}`] as const,
    }));
  }

  resume(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.humanTransition(ctx, id, version, 'editor', ['paused'], async (_s, r, now) => ({
      // A resumed step starts its clock again: the time it was paused is not evidence of health.
      patch: { status: 'running' as const, stepStartedAt: iso(now), counters: { ...r.counters, consecutiveFailures: {}, consecutiveErrors: {} }, tickSeq: r.tickSeq + 1, nextTickAt: iso(now + r.policy.analysis.interval), lastReason: reason },
      event: 'resumed' as const,
    }));
  }

  /** Approves advancing past the current step's gate; the next healthy tick advances. */
  approve(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.humanTransition(ctx, id, version, 'approver', ['running', 'awaiting-approval', 'paused'], async (_s, r, now) => {
      if (!r.policy.steps[r.stepIndex]!.approval) throw conflict('NO_GATE', `step ${r.stepIndex + 1} of rollout ${id} has no approval gate`);
      // The person who asked for this run may not wave its gates through, with any of their keys.
      if (r.requestedByOwner === ctx.actor.owner) throw forbidden(`rollout ${id} was asked for by ${r.requestedByOwner}: someone else must approve its gates (any key of the same owner is refused)`, 'SELF_APPROVAL');
      const ticking = r.status === 'awaiting-approval';
      return {
        patch: { approvedStep: r.stepIndex, lastReason: reason, ...(ticking ? { status: 'running' as const, tickSeq: r.tickSeq + 1, nextTickAt: iso(now) } : {}) },
        event: 'approved' as const,
      };
    });
  }

  /** Stops the rollout and puts everyone back on control. */
  abort(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.humanTransition(ctx, id, version, 'editor', ACTIVE_STATUSES, async (s, r, now) => {
      await this.applyWeight(s, ctx, r, 0, 'rollout.abort', reason ?? `aborted by ${ctx.actor.name}`, now);
      return {
        patch: { status: 'aborted' as const, weightUnits: 0, lastReason: reason }, event: 'aborted' as const,
        webhook: ['rollout.rolled_back', reason ?? 'aborted'] as const,
      };
    });
  }

  /** After a rollback or abort: start again from step 1 with fresh counters. */
  retry(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.humanTransition(ctx, id, version, 'editor', ['rolled-back', 'aborted'], this.retryChange(ctx, reason, {}));
  }

  /** A retry inside the caller's transaction, from an approved change request (its author asked). */
  async retryIn(s: RolloutStores, ctx: RequestContext, id: number, version: number, reason: string | null, requestedBy: { owner: string }): Promise<RolloutRecord> {
    return (await this.transitionIn(s, ctx, id, version, ['rolled-back', 'aborted'], this.retryChange(ctx, reason, { approved: true, requestedBy }), this.clock())).next;
  }

  private retryChange(ctx: RequestContext, reason: string | null, o: { approved?: boolean; requestedBy?: { owner: string } }) {
    return async (s: RolloutStores, r: RolloutRecord, now: number) => {
      enforceImpact(ctx.actor, await assessChange(s, r.projectKey, [{ kind: 'rollout', environmentId: r.environmentId, flagKey: r.flagKey }]), { approved: o.approved, kind: 'rollout-retry' });
      const active = await s.rollouts.findActive(r.environmentId, r.flagKey);
      if (active) throw conflict('ROLLOUT_ACTIVE', `flag ${r.flagKey} already has rollout ${active.id} in ${r.environmentId}`);
      const weightUnits = percentToUnits(r.policy.steps[0]!.weight);
      await this.applyWeight(s, ctx, r, weightUnits, 'rollout.retry', reason ?? 'retry', now);
      return {
        patch: {
          status: 'running' as const, stepIndex: 0, weightUnits, stepStartedAt: iso(now), counters: EMPTY_COUNTERS, approvedStep: null,
          tickSeq: r.tickSeq + 1, nextTickAt: iso(now + Math.max(r.policy.analysis.initialDelay, r.policy.analysis.interval)), lastReason: reason,
          requestedByOwner: o.requestedBy?.owner ?? ctx.actor.owner,
        },
        event: 'retried' as const,
      };
    };
  }

  /**
   * Applies one analysis tick's decision, if the rollout is still the record the tick read
   * (same version). 'stale' means another worker or a human moved it first: nothing is written.
   */
  async applyTick(read: RolloutRecord, d: TickDecision, evidence: unknown, lagMs: number): Promise<TickOutcome> {
    const { id: rolloutId, version, tickSeq } = read;
    const now = this.clock();
    const ctx: RequestContext = { actor: CONTROLLER_ACTOR, requestId: `rollout-${rolloutId}-tick-${tickSeq}` };
    const webhooks: Array<[RolloutWebhookEvent, RolloutRecord, string]> = [];
    let next: RolloutRecord | undefined;
    try {
      next = await this.uow.write(async (s) => {
        webhooks.length = 0; // a retried transaction starts its events over
        // The record the tick was computed from; the version-guarded update below refuses it if
        // anything moved since (no second read: this runs ~200 times a second at scale).
        const r = read;
        if (!TICKING_STATUSES.includes(r.status)) return undefined;
        // The step's weight (or another change of this environment) not yet published: the
        // evaluators may still serve the previous weight, so this data cannot judge the step.
        // Hold and start the step's clock again. A rollback never waits for this.
        const deferred = HOLD_UNTIL_SERVED.has(d.decision) && !(d.decision === 'pause' && !d.srm?.mismatch)
          && await s.outbox.hasPending(r.environmentId);
        const recorded = deferred
          ? { decision: 'hold' as const, reason: `held: changes of this environment are not served by the evaluators yet (${d.decision} deferred)` }
          : { decision: d.decision, reason: d.reason };
        await s.rollouts.insertTick({ rolloutId, seq: tickSeq, at: iso(now), stepIndex: r.stepIndex, weightUnits: r.weightUnits, ...recorded, evidence, lagMs });
        const interval = r.policy.analysis.interval;
        const base = { counters: d.counters, lastReason: d.reason, tickSeq: tickSeq + 1, nextTickAt: iso(now + interval), updatedAt: iso(now) };
        let patch: Partial<RolloutRecord> = base;
        let event: RolloutEvent['kind'] | undefined;
        // A kill switch overrides the rollout: stop ramping a flag someone turned off.
        const config = await s.configs.get(r.environmentId, r.flagKey);
        if (config && !config.config.enabled) {
          patch = { ...base, status: 'paused', lastReason: 'the flag was disabled (kill switch) during the rollout' };
          event = 'paused';
          webhooks.push(['rollout.paused', r, patch.lastReason!]);
        } else if (deferred) {
          patch = { ...base, stepStartedAt: iso(now), lastReason: recorded.reason };
        } else if (d.decision === 'advance') {
          const stepIndex = r.stepIndex + 1;
          const weightUnits = percentToUnits(r.policy.steps[stepIndex]!.weight);
          await this.applyWeight(s, ctx, r, weightUnits, 'rollout.advance', d.reason, now);
          patch = { ...base, status: 'running', stepIndex, weightUnits, stepStartedAt: iso(now), counters: { ...d.counters, consecutiveFailures: {} } };
          event = 'advanced';
          webhooks.push(['rollout.step_completed', { ...r, stepIndex, weightUnits }, d.reason]);
        } else if (d.decision === 'complete') {
          // The last step is 100% (the schema insists), so the config already serves the treatment.
          if (r.weightUnits !== percentToUnits(100)) await this.applyWeight(s, ctx, r, percentToUnits(100), 'rollout.complete', d.reason, now);
          patch = { ...base, status: 'completed', weightUnits: percentToUnits(100) };
          event = 'completed';
          webhooks.push(['rollout.completed', r, d.reason]);
        } else if (d.decision === 'rollback') {
          await this.applyWeight(s, ctx, r, 0, 'rollout.rollback', d.reason, now);
          patch = { ...base, status: 'rolled-back', weightUnits: 0 };
          event = 'rolled-back';
          webhooks.push(['rollout.rolled_back', r, d.reason]);
        } else if (d.decision === 'pause') {
          patch = { ...base, status: 'paused' };
          event = 'paused';
          webhooks.push(['rollout.paused', r, d.reason]);
        } else if (d.decision === 'await-approval' && r.status !== 'awaiting-approval') {
          patch = { ...base, status: 'awaiting-approval' };
          event = 'awaiting-approval';
          webhooks.push(['rollout.awaiting_approval', r, d.reason]);
        }
        if (!(await s.rollouts.update(rolloutId, version, patch))) throw new StaleTick();
        const updated = { ...r, ...patch, version: version + 1 } as RolloutRecord;
        if (event) await this.recordEvent(s, ctx, updated, event, patch.lastReason ?? d.reason, now);
        for (const [hook, w, reason] of webhooks) await this.recordWebhook(s, hook, w, reason);
        return updated;
      });
    } catch (error) {
      // A concurrent worker recorded this tick first (unique (rollout, seq)) or moved the version.
      if (error instanceof StaleTick || (error as Error)?.name === 'DuplicateKeyError') return 'stale';
      throw error;
    }
    if (!next) return 'stale';
    await this.arm(next);
    if (webhooks.length > 0) this.notifier.wake();
    return 'applied';
  }

  /** The rollout as stored, for the tick worker (no access check: the worker is the controller). */
  peek(id: number): Promise<RolloutRecord | undefined> {
    return this.uow.read((s) => s.rollouts.get(id));
  }

  /**
   * Re-arms ticks whose job may be lost: every ticking rollout (`all`, at start), or only those
   * overdue by more than `graceMs` (periodically; a rollout on schedule has its job, and re-adding
   * it could race a job that just finished). Adding a job that exists is a no-op.
   */
  async reconcile(o: { all: boolean; graceMs?: number } = { all: true }): Promise<number> {
    const rows = await this.uow.read((s) => (o.all
      ? s.rollouts.listByStatus(TICKING_STATUSES, 100_000)
      : s.rollouts.listOverdue(iso(this.clock() - (o.graceMs ?? 15_000)), 100_000)));
    for (const r of rows) await this.arm(r);
    return rows.length;
  }

  private async arm(r: RolloutRecord): Promise<void> {
    if (!TICKING_STATUSES.includes(r.status)) return;
    try {
      await this.scheduler.schedule(r.id, r.tickSeq, Date.parse(r.nextTickAt));
    } catch (error) {
      // The database already holds the truth; the reconciler re-arms the job when Redis is back.
      this.log(`could not schedule tick ${r.tickSeq} of rollout ${r.id}`, error);
    }
  }

  /** In the transition's transaction: if the outbox row cannot be written, nothing is. */
  private async recordWebhook(s: RolloutStores, event: RolloutWebhookEvent, r: RolloutRecord, reason: string): Promise<void> {
    await recordRolloutWebhook(this.notifier, s, event, r, reason);
  }

  private async applyWeight(s: RolloutStores, ctx: RequestContext, r: RolloutRecord, weightUnits: number, action: string, reason: string, now: number): Promise<void> {
    const flag = await requireFlag(s, r.projectKey, r.flagKey);
    const config = await s.configs.getForUpdate(r.environmentId, r.flagKey);
    if (!config) throw notFound(`config of flag ${r.flagKey} in ${r.environmentId}`);
    await writeConfig(s, ctx, {
      flag, environmentId: r.environmentId, expectedVersion: config.version, now: iso(now),
      config: withRamp(config.config, r.treatment, r.control, weightUnits), action,
      reason: `rollout ${r.id} step ${r.stepIndex + 1}: ${reason}`,
    });
  }

  private async recordEvent(s: RolloutStores, ctx: RequestContext, r: RolloutRecord, kind: RolloutEvent['kind'], reason: string | null, now: number): Promise<void> {
    await recordRolloutEvent(s, ctx, r, kind, reason, now);
  }

  private async humanTransition(
    ctx: RequestContext, id: number, version: number | undefined, role: 'editor' | 'approver', from: readonly RolloutStatus[],
    change: (s: RolloutStores, r: RolloutRecord, now: number) => Promise<{
      patch: Partial<RolloutRecord>; event: RolloutEvent['kind']; webhook?: readonly [RolloutWebhookEvent, string];
    }>,
  ): Promise<RolloutRecord> {
    requireRole(ctx.actor, role);
    const now = this.clock();
    // Webhook events are outbox rows of this transaction (read and written through its stores: on
    // SQLite's single connection a read outside it would wait for it forever); the drainer is
    // woken after COMMIT, so a change that rolled back never notifies.
    let webhook: readonly [RolloutWebhookEvent, string] | undefined;
    const next = await this.uow.write(async (s) => {
      const done = await this.transitionIn(s, ctx, id, version, from, change, now);
      webhook = done.webhook;
      return done.next;
    });
    await this.arm(next);
    if (webhook) this.notifier.wake();
    return next;
  }

  private async transitionIn(
    s: RolloutStores, ctx: RequestContext, id: number, version: number | undefined, from: readonly RolloutStatus[],
    change: (s: RolloutStores, r: RolloutRecord, now: number) => Promise<{
      patch: Partial<RolloutRecord>; event: RolloutEvent['kind']; webhook?: readonly [RolloutWebhookEvent, string];
    }>,
    now: number,
  ): Promise<{ next: RolloutRecord; webhook?: readonly [RolloutWebhookEvent, string] }> {
    const r = await s.rollouts.get(id);
    if (!r) throw notFound(`rollout ${id}`);
    requireEnvironment(ctx.actor, r.environmentId);
    if (version !== undefined && version !== r.version) throw staleVersion(`rollout ${id}`, r.version);
    if (!from.includes(r.status)) throw conflict('INVALID_TRANSITION', `rollout ${id} is ${r.status}; this needs one of: ${from.join(', ')}`);
    const outcome = await change(s, r, now);
    if (!(await s.rollouts.update(id, r.version, { ...outcome.patch, updatedAt: iso(now) }))) throw staleVersion(`rollout ${id}`, r.version + 1);
    const updated = { ...r, ...outcome.patch, version: r.version + 1, updatedAt: iso(now) } as RolloutRecord;
    await this.recordEvent(s, ctx, updated, outcome.event, outcome.patch.lastReason ?? null, now);
    if (outcome.webhook) await this.recordWebhook(s, outcome.webhook[0], updated, outcome.webhook[1]);
    return { next: updated, ...(outcome.webhook ? { webhook: outcome.webhook } : {}) };
  }
}

class StaleTick extends Error {
  constructor() { super('stale tick'); this.name = 'StaleTick'; }
}

/** Parses an optional version from a body field or If-Match, for rollout commands. */
export function optionalVersion(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw badRequest('malformed request', [{ path: 'version', message: 'expected a positive integer' }]);
  return value;
}
