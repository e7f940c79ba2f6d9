/**
 * The rollout state machine's driver. What a tick decision or a person's action means is decided
 * by the pure functions of rollout-transition.ts; this service reads what they need, calls them
 * and writes the result as one transaction that checks the rollout's version, records the
 * transition (event, tick evidence, audit row, webhook outbox rows) and applies the resulting
 * flag-config change through the same path as a human edit, so it propagates like any change.
 * BullMQ jobs only trigger ticks; scheduling happens after commit and the reconciler re-arms
 * anything lost.
 */
import { requireEnvironment, requireRole } from '../auth/access.ts';
import type { Stores } from '../db/stores.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { environmentId } from '../environments/environment-store.ts';
import { assessChange, enforceImpact } from '../auth/change-impact.ts';
import { badRequest, conflict, invalidModel, notFound, staleVersion } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import { requireFlag } from '../flags/flag-service.ts';
import { writeConfig } from '../flags/config-writes.ts';
import type { TickDecision } from './analysis/decide.ts';
import type { Policy } from './policy/policy.ts';
import { withRamp } from './ramp-config.ts';
import { TICKING_STATUSES, type RolloutEvent, type RolloutRecord, type TickRecord } from './rollout-record.ts';
import type { RedisRegionServing } from './region-serving.ts';
import { recordRolloutEvent, recordRolloutWebhook, type RolloutNotifier } from './rollout-events.ts';
import {
  actionTransition,
  scheduleOf,
  startedRollout,
  tickTransition,
  waitsUntilServed,
  type HumanAction,
  type RolloutTransition,
  type TickSchedule,
  type TickTransition,
  type WeightChange,
} from './rollout-transition.ts';
import type { RolloutListQuery, RolloutStore } from './rollout-store.ts';

/** The stores a rollout transaction needs. */
export type RolloutStores = Stores & { rollouts: RolloutStore };

/** What the service needs of the unit of work. */
export type RolloutUnitOfWork = Pick<UnitOfWork, 'read' | 'write'>;

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
export const CONTROLLER_ACTOR = {
  keyId: 'controller',
  name: 'rollout-controller',
  owner: 'rollout-controller',
  role: 'admin' as const,
  environments: null,
};

const iso = (ms: number) => new Date(ms).toISOString();

export interface StartRollout {
  policy: string;
  treatment: string;
  control: string;
  reason?: string;
}

export type TickOutcome = 'applied' | 'stale';

/** Whether every region a step waits for serves the environment's current version (region-serving.ts). */
export type RegionServing = Pick<RedisRegionServing, 'servesCurrent'>;

export class RolloutService {
  /**
   * `regions`: steps also wait until every region it lists serves them (REGIONS, given to the
   * process that ticks); without it only the outbox rule holds a step.
   */
  constructor(
    private readonly uow: RolloutUnitOfWork,
    private readonly policies: PolicyCatalog,
    private readonly scheduler: TickScheduler,
    private readonly notifier: RolloutNotifier,
    private readonly clock: () => number = Date.now,
    private readonly log: (message: string, error?: unknown) => void = (m, e) => console.error(m, e ?? ''),
    private readonly regions?: RegionServing,
  ) {}

  /** Starts a rollout: applies step 1's weight and arms the first tick after the initial delay. */
  async start(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    flagKey: string,
    body: StartRollout,
  ): Promise<RolloutRecord> {
    const env = environmentId(projectKey, envKey);
    requireRole(ctx.actor, 'editor');
    requireEnvironment(ctx.actor, env);
    const policy = this.policies.get(body.policy);
    if (!policy)
      throw invalidModel(
        [
          {
            path: 'policy',
            message: `unknown policy "${body.policy}"; known: ${this.policies
              .list()
              .map((p) => p.name)
              .join(', ')}`,
          },
        ],
        `no policy named ${body.policy}`,
      );
    if (body.treatment === body.control)
      throw invalidModel(
        [{ path: 'control', message: 'must differ from treatment' }],
        'treatment and control must differ',
      );
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
    s: RolloutStores,
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    flagKey: string,
    body: Omit<StartRollout, 'policy'>,
    policy: Policy,
    o: { approved?: boolean; requestedBy?: { name: string; owner: string } } = {},
  ): Promise<RolloutRecord> {
    const env = environmentId(projectKey, envKey);
    const now = this.clock();
    if (!(await s.environments.get(env))) throw notFound(`environment ${env}`);
    const flag = await requireFlag(s, projectKey, flagKey);
    const problems = (['treatment', 'control'] as const)
      .filter((f) => !(body[f] in flag.definition.variants))
      .map((f) => ({ path: f, message: `flag ${flagKey} has no variant "${body[f]}"` }));
    if (problems.length > 0) throw invalidModel(problems, 'unknown variant');
    const active = await s.rollouts.findActive(env, flagKey);
    if (active)
      throw conflict('ROLLOUT_ACTIVE', `flag ${flagKey} already has rollout ${active.id} (${active.status}) in ${env}`);
    const config = await s.configs.getForUpdate(env, flagKey);
    if (!config) throw notFound(`config of flag ${flagKey} in ${env}`);
    if (!config.config.enabled)
      throw conflict('FLAG_DISABLED', `flag ${flagKey} is disabled in ${env}; enable it before ramping it`);
    enforceImpact(ctx.actor, await assessChange(s, projectKey, [{ kind: 'rollout', environmentId: env, flagKey }]), {
      approved: o.approved,
      kind: 'rollout-start',
    });
    const record = startedRollout({
      projectKey,
      environmentId: env,
      flagKey,
      policy,
      treatment: body.treatment,
      control: body.control,
      requestedBy: o.requestedBy ?? ctx.actor,
      now,
    });
    await writeConfig(s, ctx, {
      flag,
      environmentId: env,
      expectedVersion: config.version,
      now: iso(now),
      config: withRamp(config.config, body.treatment, body.control, record.weightUnits),
      action: 'rollout.start',
      reason: body.reason ?? `rollout with policy ${policy.name}`,
    });
    const id = await s.rollouts.insert(record);
    await recordRolloutEvent(s, ctx, { ...record, id }, 'started', body.reason ?? null, now);
    return { ...record, id };
  }

  /** After the COMMIT of a transaction that started or retried a rollout (change requests). */
  async armAfterCommit(r: RolloutRecord): Promise<void> {
    await this.arm(r);
  }

  async list(ctx: RequestContext, q: RolloutListQuery): Promise<RolloutRecord[]> {
    requireRole(ctx.actor, 'viewer');
    const rows = await this.uow.read((s) => s.rollouts.list(q));
    return ctx.actor.environments === null
      ? rows
      : rows.filter((r) => ctx.actor.environments!.includes(r.environmentId));
  }

  /** The rollout with its full timeline: transitions and every tick's evidence. */
  async get(
    ctx: RequestContext,
    id: number,
  ): Promise<{ rollout: RolloutRecord; events: RolloutEvent[]; ticks: TickRecord[] }> {
    requireRole(ctx.actor, 'viewer');
    return this.uow.read(async (s) => {
      const rollout = await s.rollouts.get(id);
      if (!rollout) throw notFound(`rollout ${id}`);
      requireEnvironment(ctx.actor, rollout.environmentId);
      return { rollout, events: await s.rollouts.events(id), ticks: await s.rollouts.ticks(id, 1000) };
    });
  }

  pause(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.act(ctx, id, 'editor', { kind: 'pause', actor: ctx.actor, reason, version });
  }

  resume(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.act(ctx, id, 'editor', { kind: 'resume', actor: ctx.actor, reason, version });
  }

  /** Approves advancing past the current step's gate; the next healthy tick advances. */
  approve(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.act(ctx, id, 'approver', { kind: 'approve', actor: ctx.actor, reason, version });
  }

  /** Stops the rollout and puts everyone back on control. */
  abort(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.act(ctx, id, 'editor', { kind: 'abort', actor: ctx.actor, reason, version });
  }

  /** After a rollback or abort: start again from step 1 with fresh counters. */
  retry(ctx: RequestContext, id: number, version: number | undefined, reason: string | null) {
    return this.act(ctx, id, 'editor', { kind: 'retry', actor: ctx.actor, reason, version });
  }

  /** A retry inside the caller's transaction, from an approved change request (its author asked). */
  async retryIn(
    s: RolloutStores,
    ctx: RequestContext,
    id: number,
    version: number,
    reason: string | null,
    requestedBy: { owner: string },
  ): Promise<RolloutRecord> {
    return (
      await this.actIn(s, ctx, id, { kind: 'retry', actor: ctx.actor, reason, version, requestedBy }, this.clock(), {
        approved: true,
      })
    ).next;
  }

  /**
   * Applies one analysis tick's decision, if the rollout is still the record the tick read
   * (same version). 'stale' means another worker or a human moved it first: nothing is written.
   */
  async applyTick(read: RolloutRecord, d: TickDecision, evidence: unknown, lagMs: number): Promise<TickOutcome> {
    const now = this.clock();
    const ctx: RequestContext = { actor: CONTROLLER_ACTOR, requestId: `rollout-${read.id}-tick-${read.tickSeq}` };
    let t: TickTransition | undefined;
    try {
      t = await this.uow.write(async (s) => {
        // The record the tick was computed from; the version-guarded update refuses it if anything
        // moved since (no second read: this runs ~200 times a second at scale).
        const r = read;
        const unpublished =
          waitsUntilServed(d) &&
          ((await s.outbox.hasPending(r.environmentId)) ||
            (this.regions !== undefined && !(await this.regions.servesCurrent(r.environmentId))));
        const config = await s.configs.get(r.environmentId, r.flagKey);
        const change = tickTransition(r, d, {
          now,
          unpublished,
          flagDisabled: config !== undefined && !config.config.enabled,
        });
        if (!change) return undefined;
        await s.rollouts.insertTick({
          rolloutId: r.id,
          seq: r.tickSeq,
          at: iso(now),
          stepIndex: r.stepIndex,
          weightUnits: r.weightUnits,
          ...change.tick,
          evidence,
          lagMs,
        });
        if (!(await this.commit(s, ctx, r, change, now))) throw new StaleTick();
        return change;
      });
    } catch (error) {
      // A concurrent worker recorded this tick first (unique (rollout, seq)) or moved the version.
      if (error instanceof StaleTick || (error as Error)?.name === 'DuplicateKeyError') return 'stale';
      throw error;
    }
    if (!t) return 'stale';
    await this.afterCommit(t);
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
    const rows = await this.uow.read((s) =>
      o.all
        ? s.rollouts.listByStatus(TICKING_STATUSES, 100_000)
        : s.rollouts.listOverdue(iso(this.clock() - (o.graceMs ?? 15_000)), 100_000),
    );
    for (const r of rows) await this.arm(r);
    return rows.length;
  }

  private async arm(r: RolloutRecord): Promise<void> {
    const job = scheduleOf(r);
    if (job) await this.schedule(job);
  }

  private async schedule(job: TickSchedule): Promise<void> {
    try {
      await this.scheduler.schedule(job.rolloutId, job.tickSeq, job.atMs);
    } catch (error) {
      // The database already holds the truth; the reconciler re-arms the job when Redis is back.
      this.log(`could not schedule tick ${job.tickSeq} of rollout ${job.rolloutId}`, error);
    }
  }

  /**
   * After COMMIT: arm the next tick and wake the webhook drainer. Webhook events are outbox rows
   * of the transaction (read and written through its stores: on SQLite's single connection a read
   * outside it would wait for it forever), so a change that rolled back never notifies.
   */
  private async afterCommit(t: RolloutTransition): Promise<void> {
    if (t.schedule) await this.schedule(t.schedule);
    if (t.notifications.length > 0) this.notifier.wake();
  }

  /**
   * Writes a transition of `r` in the caller's transaction: the config's new weight, the record
   * (only if still at the version `r` has; false otherwise), the event and audit rows, the webhook
   * outbox rows. If any of them cannot be written, none is.
   */
  private async commit(
    s: RolloutStores,
    ctx: RequestContext,
    r: RolloutRecord,
    t: RolloutTransition,
    now: number,
  ): Promise<boolean> {
    if (t.weightChange) await this.applyWeight(s, ctx, r, t.weightChange, now);
    if (!(await s.rollouts.update(r.id, r.version, t.patch))) return false;
    if (t.event) await recordRolloutEvent(s, ctx, t.next, t.event.kind, t.event.reason, now);
    for (const n of t.notifications) await recordRolloutWebhook(this.notifier, s, n.event, n.rollout, n.reason);
    return true;
  }

  private async applyWeight(
    s: RolloutStores,
    ctx: RequestContext,
    r: RolloutRecord,
    w: WeightChange,
    now: number,
  ): Promise<void> {
    const flag = await requireFlag(s, r.projectKey, r.flagKey);
    const config = await s.configs.getForUpdate(r.environmentId, r.flagKey);
    if (!config) throw notFound(`config of flag ${r.flagKey} in ${r.environmentId}`);
    await writeConfig(s, ctx, {
      flag,
      environmentId: r.environmentId,
      expectedVersion: config.version,
      now: iso(now),
      config: withRamp(config.config, r.treatment, r.control, w.weightUnits),
      action: w.action,
      reason: w.reason,
    });
  }

  /** A person's action in its own transaction. */
  private async act(
    ctx: RequestContext,
    id: number,
    role: 'editor' | 'approver',
    action: HumanAction,
  ): Promise<RolloutRecord> {
    requireRole(ctx.actor, role);
    const now = this.clock();
    let t: RolloutTransition | undefined;
    // A retried transaction computes the transition again from what it reads.
    const next = await this.uow.write(async (s) => {
      t = await this.actIn(s, ctx, id, action, now);
      return t.next;
    });
    await this.afterCommit(t!);
    return next;
  }

  /** A person's action in the caller's transaction: read, check access, transition, write. */
  private async actIn(
    s: RolloutStores,
    ctx: RequestContext,
    id: number,
    action: HumanAction,
    now: number,
    o: { approved?: boolean } = {},
  ): Promise<RolloutTransition> {
    const r = await s.rollouts.get(id);
    if (!r) throw notFound(`rollout ${id}`);
    requireEnvironment(ctx.actor, r.environmentId);
    const t = actionTransition(r, action, now);
    if ('refused' in t) throw t.refused;
    if (action.kind === 'retry') {
      enforceImpact(
        ctx.actor,
        await assessChange(s, r.projectKey, [{ kind: 'rollout', environmentId: r.environmentId, flagKey: r.flagKey }]),
        { approved: o.approved, kind: 'rollout-retry' },
      );
      const active = await s.rollouts.findActive(r.environmentId, r.flagKey);
      if (active)
        throw conflict('ROLLOUT_ACTIVE', `flag ${r.flagKey} already has rollout ${active.id} in ${r.environmentId}`);
    }
    if (!(await this.commit(s, ctx, r, t, now))) throw staleVersion(`rollout ${id}`, r.version + 1);
    return t;
  }
}

class StaleTick extends Error {
  constructor() {
    super('stale tick');
    this.name = 'StaleTick';
  }
}

/** Parses an optional version from a body field or If-Match, for rollout commands. */
export function optionalVersion(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw badRequest('malformed request', [{ path: 'version', message: 'expected a positive integer' }]);
  return value;
}
