/**
 * Scheduled changes (docs/api.md, "Schedules"). The row is the truth; a BullMQ delayed job with
 * a deterministic id ({@link ScheduleTrigger}) only says "look at schedule N now", and the
 * workers' reconciler re-arms pending schedules after a restart. Applying is one transaction:
 * the change itself (through the same config write as a human edit, or the rollout start), the
 * schedule's version-guarded move to `applied`, its audit row and its webhook outbox rows; so a
 * schedule is applied at most once, however often its job runs, and a cancel racing it either
 * wins or is refused. A change that cannot be made as scheduled (the config moved past
 * `baseVersion`, the flag was archived, a rollout is already active, ...) is never applied
 * blindly: the schedule becomes `conflicted`, audited and sent to webhooks.
 */
import type { FlagConfig } from '@flagship/evaluator';
import { requireEnvironment, requireRole } from '../auth/access.ts';
import { assessChange, enforceImpact } from '../auth/change-impact.ts';
import type { Stores } from '../db/stores.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import type { EnvironmentRecord } from '../environments/environment-store.ts';
import { conflict, DomainError, invalidModel, notFound, StaleVersionError } from '../errors/domain-errors.ts';
import { configProblems, writeConfig } from '../flags/config-writes.ts';
import { requireFlag } from '../flags/flag-service.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { RolloutRecord } from '../rollouts/rollout-record.ts';
import type { PolicyCatalog, RolloutService } from '../rollouts/rollout-service.ts';
import { changePartOf } from './schedule-approval.ts';
import {
  auditSchedule,
  schedulerContext,
  type ScheduleNotifier,
  type ScheduleWebhookEvent,
  webhookPayload,
} from './schedule-events.ts';
import type { ScheduleChange, ScheduleRecord, ScheduleStatus } from './schedule-record.ts';
import { dueDecision, isPending, parseScheduleRequest, refuseUnlessPending } from './schedule-rules.ts';
import type { ScheduleListQuery } from './schedule-store.ts';

/** Arms and disarms the delayed job of a schedule; must be idempotent for one schedule id. */
export interface ScheduleTrigger {
  arm(scheduleId: number, atMs: number): Promise<void>;
  /** Best effort: a job left behind finds the schedule cancelled and does nothing. */
  disarm(scheduleId: number): Promise<void>;
}

/** What a due job came to: the workers log it and count it. */
export type ExecuteOutcome =
  | { result: 'applied' | 'conflicted' | 'expired'; schedule: ScheduleRecord }
  | { result: 'skipped'; reason: string }
  | { result: 'not-due'; inMs: number };

const iso = (ms: number) => new Date(ms).toISOString();

/** Thrown inside the apply transaction when the schedule's version moved (a cancel won): rolls it all back. */
class ScheduleMoved extends Error {
  constructor() {
    super('schedule moved');
    this.name = 'ScheduleMoved';
  }
}

const FINAL_EVENT: Partial<Record<ScheduleStatus, ScheduleWebhookEvent>> = {
  applied: 'schedule.applied',
  conflicted: 'schedule.conflicted',
  expired: 'schedule.expired',
};

export class ScheduleService {
  constructor(
    private readonly uow: Pick<UnitOfWork, 'read' | 'write'>,
    private readonly policies: PolicyCatalog,
    private readonly trigger: ScheduleTrigger,
    private readonly notifier: ScheduleNotifier,
    /** A getter: the composition root builds the rollout service beside this one. */
    private readonly rollouts: () => RolloutService,
    private readonly clock: () => number = Date.now,
    private readonly log: (message: string, error?: unknown) => void = (m, e) => console.error(m, e ?? ''),
  ) {}

  /**
   * Schedules a change, validated now as far as it can be: the config through the same schemas
   * PUT uses (and still at `baseVersion`), the policy and the variants of a rollout, the key's
   * access. In an approval-required environment it is filed as a change request of kind
   * `schedule` and waits for approval.
   */
  async create(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    flagKey: string,
    body: unknown,
  ): Promise<ScheduleRecord> {
    requireRole(ctx.actor, 'editor');
    const nowMs = this.clock();
    const req = parseScheduleRequest(body, nowMs);
    const record = await this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      requireEnvironment(ctx.actor, env.id);
      const flag = await requireFlag(s, projectKey, flagKey);
      if (flag.archived) throw conflict('FLAG_ARCHIVED', `flag ${flag.key} is archived: unarchive it first`);
      const current = await s.configs.get(env.id, flag.key);
      if (!current) throw notFound(`config of flag ${flag.key} in ${env.id}`);
      let change: ScheduleChange;
      if (req.kind === 'config') {
        if (current.version !== req.baseVersion)
          throw new StaleVersionError(
            `the config is at version ${current.version}, not ${req.baseVersion}: the schedule would conflict`,
            current.version,
          );
        const checked = await configProblems(s, flag, env.id, req.config, 'config');
        if (!checked.config) throw invalidModel(checked.problems, 'the scheduled config fails validation');
        change = { kind: 'config', config: checked.config, baseVersion: req.baseVersion };
      } else if (req.kind === 'action') {
        change = { kind: 'action', action: req.action };
      } else {
        const policy = this.policies.get(req.policy);
        const problems = [];
        if (!policy)
          problems.push({
            path: 'rollout.policy',
            message: `unknown policy "${req.policy}"; known: ${this.policies
              .list()
              .map((p) => p.name)
              .join(', ')}`,
          });
        for (const f of ['treatment', 'control'] as const)
          if (!(req[f] in flag.definition.variants))
            problems.push({ path: `rollout.${f}`, message: `flag ${flag.key} has no variant "${req[f]}"` });
        if (req.treatment === req.control)
          problems.push({ path: 'rollout.control', message: 'must differ from treatment' });
        if (problems.length > 0 || !policy) throw invalidModel(problems, 'the scheduled rollout cannot start');
        // Pinned as scheduled: the workers start exactly what was reviewed, whatever the files say then.
        change = {
          kind: 'rollout',
          policy: policy.name,
          policyDocument: policy,
          treatment: req.treatment,
          control: req.control,
        };
      }
      const now = iso(nowMs);
      const at = iso(req.atMs);
      const author = { keyId: ctx.actor.keyId, name: ctx.actor.name, owner: ctx.actor.owner };
      const draft: Omit<ScheduleRecord, 'id'> = {
        projectKey,
        environmentId: env.id,
        flagKey: flag.key,
        at,
        comment: req.comment,
        change,
        status: 'scheduled',
        version: 1,
        author,
        changeRequestId: null,
        approvedBy: null,
        outcome: null,
        appliedVersion: null,
        rolloutId: null,
        createdAt: now,
        updatedAt: now,
      };
      // The key must be allowed to make the change itself (a scoped key, another environment);
      // approval is what the change request below is for.
      const impact = await assessChange(s, projectKey, [changePartOf({ ...draft, id: 0 })]);
      enforceImpact(ctx.actor, impact, { approved: true, kind: 'schedule' });
      if (impact.approval.length > 0) {
        draft.status = 'awaiting-approval';
        draft.changeRequestId = await s.changeRequests.insert({
          environmentId: env.id,
          projectKey,
          flagKey: flag.key,
          kind: 'schedule',
          config: change.kind === 'config' ? change.config : null,
          payload: {
            schedule: {
              at,
              kind: change.kind,
              ...(change.kind === 'action' ? { action: change.action } : {}),
              ...(change.kind === 'rollout'
                ? { rollout: { policy: change.policy, treatment: change.treatment, control: change.control } }
                : {}),
            },
          },
          baseVersion: change.kind === 'config' ? change.baseVersion : current.version,
          comment: req.comment,
          status: 'pending',
          author,
          reviews: [],
          appliedVersion: null,
          createdAt: now,
          updatedAt: now,
        });
      }
      const id = await s.schedules.insert(draft);
      const record = { ...draft, id };
      await auditSchedule(s, ctx, now, null, record, 'schedule.created', req.comment);
      return record;
    });
    await this.arm(record);
    return record;
  }

  async list(ctx: RequestContext, q: ScheduleListQuery): Promise<{ items: ScheduleRecord[]; last?: ScheduleRecord }> {
    requireRole(ctx.actor, 'viewer');
    const rows = await this.uow.read((s) => s.schedules.list(q));
    const items =
      ctx.actor.environments === null ? rows : rows.filter((r) => ctx.actor.environments!.includes(r.environmentId));
    // The cursor follows the rows read, not the rows shown, so a scoped key's pages still advance.
    return rows.length === q.limit ? { items, last: rows[rows.length - 1]! } : { items };
  }

  async get(ctx: RequestContext, id: number): Promise<ScheduleRecord> {
    requireRole(ctx.actor, 'viewer');
    const r = await this.uow.read((s) => s.schedules.get(id));
    if (!r) throw notFound(`schedule ${id}`);
    requireEnvironment(ctx.actor, r.environmentId);
    return r;
  }

  /**
   * Cancels a pending schedule (any editor of its environment), up to the moment it is applied:
   * the version-guarded update decides a race with the workers, and exactly one of the two
   * commits. Its change request, if pending, is cancelled with it.
   */
  async cancel(ctx: RequestContext, id: number, comment: string): Promise<ScheduleRecord> {
    requireRole(ctx.actor, 'editor');
    const cancelled = await this.uow.write(async (s) => {
      const r = await s.schedules.get(id);
      if (!r) throw notFound(`schedule ${id}`);
      requireEnvironment(ctx.actor, r.environmentId);
      refuseUnlessPending(r, 'cancelled');
      const now = iso(this.clock());
      const outcome = `cancelled by ${ctx.actor.owner}${comment ? `: ${comment}` : ''}`;
      const patch = { status: 'cancelled' as const, outcome, updatedAt: now };
      if (!(await s.schedules.update(r.id, r.version, patch)))
        throw conflict('SCHEDULE_NOT_PENDING', `schedule ${id} was applied or changed concurrently: reload it`);
      const next: ScheduleRecord = { ...r, ...patch, version: r.version + 1 };
      if (r.changeRequestId) await this.closeRequest(s, r.changeRequestId, ctx, 'cancel', outcome, now);
      await auditSchedule(s, ctx, now, r, next, 'schedule.cancelled', comment || null);
      return next;
    });
    try {
      await this.trigger.disarm(id);
    } catch (error) {
      this.log(`could not remove the job of cancelled schedule ${id}`, error);
    }
    return cancelled;
  }

  /**
   * The workers' entry point when schedule `id`'s job fires: applies it, expires it or records
   * its conflict, each in one transaction guarded by the schedule's version.
   */
  async execute(id: number): Promise<ExecuteOutcome> {
    const read = await this.uow.read((s) => s.schedules.get(id));
    if (!read) return { result: 'skipped', reason: `no schedule ${id}` };
    if (!isPending(read.status)) return { result: 'skipped', reason: `already ${read.status}` };
    const inMs = Date.parse(read.at) - this.clock();
    if (inMs > 0) return { result: 'not-due', inMs };
    let started: RolloutRecord | undefined;
    let outcome: ExecuteOutcome;
    try {
      outcome = await this.uow.write(async (s): Promise<ExecuteOutcome> => {
        started = undefined;
        const r = await s.schedules.get(id);
        if (!r) return { result: 'skipped', reason: `no schedule ${id}` };
        const env = await s.environments.get(r.environmentId);
        const d = dueDecision(r, { nowMs: this.clock(), requiresApproval: env?.requireApproval ?? false });
        if (d.kind === 'skip') return { result: 'skipped', reason: d.reason };
        if (d.kind === 'not-due') return { result: 'not-due', inMs: d.inMs };
        if (d.kind === 'expire')
          return { result: 'expired', schedule: await this.finish(s, r, 'expired', d.reason, {}) };
        if (!env) throw conflict('ENVIRONMENT_GONE', `environment ${r.environmentId} no longer exists`);
        const applied = await this.applyChange(s, r, env);
        started = applied.rollout;
        const done = await this.finish(s, r, 'applied', applied.what, {
          appliedVersion: applied.version,
          rolloutId: applied.rollout?.id ?? null,
        });
        return { result: 'applied', schedule: done };
      });
    } catch (error) {
      if (error instanceof ScheduleMoved) return { result: 'skipped', reason: 'changed concurrently' };
      if (!(error instanceof DomainError)) throw error;
      // The change cannot be made as scheduled: nothing of it was written (the transaction rolled
      // back); the conflict is recorded in a transaction of its own, guarded the same way.
      const why = `${error.code}: ${error.message}`;
      try {
        outcome = await this.uow.write(async (s): Promise<ExecuteOutcome> => {
          const r = await s.schedules.get(id);
          if (!r || !isPending(r.status)) return { result: 'skipped', reason: `already ${r?.status ?? 'gone'}` };
          return { result: 'conflicted', schedule: await this.finish(s, r, 'conflicted', why, {}) };
        });
      } catch (again) {
        if (again instanceof ScheduleMoved) return { result: 'skipped', reason: 'changed concurrently' };
        throw again;
      }
    }
    if (started) await this.rollouts().armAfterCommit(started);
    if (outcome.result !== 'skipped' && outcome.result !== 'not-due') this.notifier.wake();
    return outcome;
  }

  /** Re-arms pending schedules' jobs: all of them (at start), or those due by `until` (periodically). */
  async reconcile(o: { untilMs?: number } = {}): Promise<number> {
    const rows = await this.uow.read((s) =>
      s.schedules.listPending(o.untilMs === undefined ? undefined : iso(o.untilMs), 100_000),
    );
    for (const r of rows) await this.arm(r);
    return rows.length;
  }

  private async arm(r: ScheduleRecord): Promise<void> {
    try {
      await this.trigger.arm(r.id, Date.parse(r.at));
    } catch (error) {
      // The row holds the truth; the workers' reconciler arms it when Redis answers again.
      this.log(`could not arm the job of schedule ${r.id}`, error);
    }
  }

  /** Makes the scheduled change in the caller's transaction, as the scheduler on behalf of the author. */
  private async applyChange(
    s: Stores,
    r: ScheduleRecord,
    env: EnvironmentRecord,
  ): Promise<{ version: number; rollout?: RolloutRecord; what: string }> {
    const ctx = schedulerContext(r);
    const now = iso(this.clock());
    const reason = `schedule ${r.id}${r.comment ? `: ${r.comment}` : ''}`;
    const flag = await requireFlag(s, r.projectKey, r.flagKey);
    if (flag.archived) throw conflict('FLAG_ARCHIVED', `flag ${flag.key} was archived`);
    const c = r.change;
    if (c.kind === 'rollout') {
      const rollout = await this.rollouts().startIn(
        s,
        ctx,
        r.projectKey,
        env.key,
        r.flagKey,
        { treatment: c.treatment, control: c.control, reason },
        c.policyDocument,
        { approved: true, requestedBy: { name: r.author.name, owner: r.author.owner } },
      );
      const config = await s.configs.get(r.environmentId, r.flagKey);
      return { version: config!.version, rollout, what: `started rollout ${rollout.id}` };
    }
    const current = await s.configs.getForUpdate(r.environmentId, r.flagKey);
    if (!current) throw notFound(`config of flag ${r.flagKey} in ${r.environmentId}`);
    let config: FlagConfig;
    if (c.kind === 'config') {
      if (current.version !== c.baseVersion)
        throw conflict(
          'BASE_MOVED',
          `the config moved from version ${c.baseVersion} to ${current.version} since the change was scheduled`,
          { currentVersion: current.version },
        );
      // Re-validated: segments, flags or variants it names may have changed since.
      const checked = await configProblems(s, flag, r.environmentId, c.config, 'config');
      if (!checked.config) throw invalidModel(checked.problems, 'the scheduled config is no longer valid');
      config = checked.config;
    } else {
      config = { ...current.config, enabled: c.action === 'enable' };
    }
    const written = await writeConfig(s, ctx, {
      flag,
      environmentId: r.environmentId,
      expectedVersion: current.version,
      config,
      action: 'schedule.apply',
      reason,
      now,
    });
    return {
      version: written.version,
      what:
        c.kind === 'config' ? `config version ${written.version}` : `${c.action}d (config version ${written.version})`,
    };
  }

  /** A final transition with its audit row, webhook rows and, if pending, its change request's close. */
  private async finish(
    s: Stores,
    r: ScheduleRecord,
    status: 'applied' | 'conflicted' | 'expired',
    outcome: string,
    extra: { appliedVersion?: number; rolloutId?: number | null },
  ): Promise<ScheduleRecord> {
    const ctx = schedulerContext(r);
    const now = iso(this.clock());
    const patch = { status, outcome, updatedAt: now, ...extra };
    if (!(await s.schedules.update(r.id, r.version, patch))) throw new ScheduleMoved();
    const next: ScheduleRecord = { ...r, ...patch, version: r.version + 1 };
    if (status === 'expired' && r.changeRequestId)
      await this.closeRequest(s, r.changeRequestId, ctx, 'cancel', `expired: ${outcome}`, now);
    await auditSchedule(s, ctx, now, r, next, `schedule.${status}`, outcome);
    await this.notifier.record(s, FINAL_EVENT[status]!, webhookPayload(next));
    return next;
  }

  /** Closes a schedule's pending change request with a review saying why. */
  private async closeRequest(
    s: Stores,
    changeRequestId: string,
    ctx: RequestContext,
    decision: 'cancel',
    comment: string,
    now: string,
  ): Promise<void> {
    const cr = await s.changeRequests.get(changeRequestId);
    if (!cr || cr.status !== 'pending') return;
    const review = { keyId: ctx.actor.keyId, name: ctx.actor.name, owner: ctx.actor.owner, decision, comment, at: now };
    await s.changeRequests.decide(cr.id, 'cancelled', [...cr.reviews, review], null, now);
  }
}
