/**
 * What an analysis tick's decision or a person's action means for a rollout, as data: the
 * record's new fields, the event (and audit) row, the webhook notifications, the flag config's new
 * weight and the next tick. No I/O: rollout-service.ts reads what these functions need, calls them
 * and writes their result in one version-guarded transaction, the way the workers' run-tick.ts
 * drives the pure decide.ts.
 */
import { conflict, forbidden, staleVersion, type DomainError } from '../errors/domain-errors.ts';
import type { Actor } from '../http/request-context.ts';
import { EMPTY_COUNTERS, type Decision, type TickDecision } from './analysis/decide.ts';
import type { Policy } from './policy/policy.ts';
import { percentToUnits } from './ramp-config.ts';
import type { RolloutWebhookEvent } from './rollout-events.ts';
import {
  ACTIVE_STATUSES,
  TICKING_STATUSES,
  type RolloutEvent,
  type RolloutRecord,
  type RolloutStatus,
} from './rollout-record.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** One webhook outbox row: the event and the record its payload describes. */
export interface RolloutNotification {
  event: RolloutWebhookEvent;
  rollout: RolloutRecord;
  reason: string;
}

/** A new ramp weight for the flag's config, written through the same path as a human edit. */
export interface WeightChange {
  weightUnits: number;
  /** The audit action of the config write (`rollout.advance`, ...). */
  action: string;
  /** The config write's reason, naming the rollout and the step it leaves. */
  reason: string;
}

/** The BullMQ job a ticking rollout needs: tick `tickSeq` at `atMs`. */
export interface TickSchedule {
  rolloutId: number;
  tickSeq: number;
  atMs: number;
}

/** What a transition writes, in this order: weight, record (guarded by `base.version`), event, notifications. */
export interface RolloutTransition {
  /** The record's new fields (`updatedAt` included), written only if the version is unchanged. */
  patch: Partial<RolloutRecord>;
  /** The record once the patch is written (version + 1). */
  next: RolloutRecord;
  /** The transition's event and audit row; none when a tick only held or observed. */
  event?: { kind: RolloutEvent['kind']; reason: string | null };
  notifications: RolloutNotification[];
  weightChange?: WeightChange;
  /** The next tick to arm after COMMIT; none when the new status does not tick. */
  schedule?: TickSchedule;
}

/** A tick's transition, with the tick row it records (its evidence is the driver's). */
export interface TickTransition extends RolloutTransition {
  tick: { decision: Decision; reason: string };
}

/** What the driver read in the tick's transaction. */
export interface TickFacts {
  now: number;
  /** The flag is disabled in the rollout's environment (a kill switch): the rollout pauses. */
  flagDisabled: boolean;
  /**
   * Changes of the environment are waiting in the outbox, so the evaluators may still serve the
   * previous weight. Only read when {@link waitsUntilServed} says the decision depends on it.
   */
  unpublished: boolean;
}

/** A person's command on a rollout. `version`, when given, must be the record's. */
export type HumanAction =
  | { kind: 'pause' | 'resume' | 'approve' | 'abort'; actor: Actor; reason: string | null; version?: number }
  | {
      kind: 'retry';
      actor: Actor;
      reason: string | null;
      version?: number;
      /** The author of the approved change request that asked for the retry; default `actor`. */
      requestedBy?: { owner: string };
    };

/** Refused: the error to throw, nothing to write. */
export interface Refusal {
  refused: DomainError;
}

/** The statuses each action starts from. */
export const ACTION_FROM: Readonly<Record<HumanAction['kind'], readonly RolloutStatus[]>> = {
  pause: ['running', 'awaiting-approval'],
  resume: ['paused'],
  approve: ['running', 'awaiting-approval', 'paused'],
  abort: ACTIVE_STATUSES,
  retry: ['rolled-back', 'aborted'],
};

/** Decisions that only stand on data from the weight actually served (a rollback stands anyway). */
const HOLD_UNTIL_SERVED: ReadonlySet<Decision> = new Set(['advance', 'complete', 'await-approval', 'pause']);

/**
 * Whether the decision must wait until the environment's changes are served (so the driver asks
 * the outbox). A pause stands on served data only when a sample-ratio mismatch caused it.
 */
export function waitsUntilServed(d: TickDecision): boolean {
  return HOLD_UNTIL_SERVED.has(d.decision) && !(d.decision === 'pause' && !d.srm?.mismatch);
}

/** The tick job a record needs, if its status ticks. */
export function scheduleOf(r: RolloutRecord): TickSchedule | undefined {
  if (!TICKING_STATUSES.includes(r.status)) return undefined;
  return { rolloutId: r.id, tickSeq: r.tickSeq, atMs: Date.parse(r.nextTickAt) };
}

/** The config write's reason: the rollout and the step it leaves. */
const weightReason = (r: RolloutRecord, reason: string) => `rollout ${r.id} step ${r.stepIndex + 1}: ${reason}`;

function finish(r: RolloutRecord, t: Omit<RolloutTransition, 'next' | 'schedule'>): RolloutTransition {
  const next: RolloutRecord = { ...r, ...t.patch, version: r.version + 1 };
  const schedule = scheduleOf(next);
  return { ...t, next, ...(schedule ? { schedule } : {}) };
}

/**
 * A tick's decision applied to the record it was computed from; undefined when that record no
 * longer ticks (nothing is written). Webhook payloads of a tick describe the record as the tick
 * found it (an advance names the step it reached).
 */
export function tickTransition(r: RolloutRecord, d: TickDecision, facts: TickFacts): TickTransition | undefined {
  if (!TICKING_STATUSES.includes(r.status)) return undefined;
  const { now } = facts;
  // The step's weight (or another change of this environment) not yet published: this data
  // cannot judge the step. Hold and start the step's clock again. A rollback never waits.
  const deferred = waitsUntilServed(d) && facts.unpublished;
  const tick = deferred
    ? {
        decision: 'hold' as const,
        reason: `held: changes of this environment are not served by the evaluators yet (${d.decision} deferred)`,
      }
    : { decision: d.decision, reason: d.reason };
  const base = {
    counters: d.counters,
    lastReason: d.reason,
    tickSeq: r.tickSeq + 1,
    nextTickAt: iso(now + r.policy.analysis.interval),
    updatedAt: iso(now),
  };
  const change = (
    patch: Partial<RolloutRecord>,
    kind?: RolloutEvent['kind'],
    notify?: [RolloutWebhookEvent, RolloutRecord],
    weightChange?: WeightChange,
  ): TickTransition => {
    const reason = patch.lastReason ?? d.reason;
    return {
      ...finish(r, {
        patch,
        ...(kind ? { event: { kind, reason } } : {}),
        notifications: notify ? [{ event: notify[0], rollout: notify[1], reason }] : [],
        ...(weightChange ? { weightChange } : {}),
      }),
      tick,
    };
  };
  // A kill switch overrides the rollout: stop ramping a flag someone turned off.
  if (facts.flagDisabled) {
    return change(
      { ...base, status: 'paused', lastReason: 'the flag was disabled (kill switch) during the rollout' },
      'paused',
      ['rollout.paused', r],
    );
  }
  if (deferred) return change({ ...base, stepStartedAt: iso(now), lastReason: tick.reason });
  switch (d.decision) {
    case 'advance': {
      const stepIndex = r.stepIndex + 1;
      const weightUnits = percentToUnits(r.policy.steps[stepIndex]!.weight);
      return change(
        {
          ...base,
          status: 'running',
          stepIndex,
          weightUnits,
          stepStartedAt: iso(now),
          counters: { ...d.counters, consecutiveFailures: {} },
        },
        'advanced',
        ['rollout.step_completed', { ...r, stepIndex, weightUnits }],
        { weightUnits, action: 'rollout.advance', reason: weightReason(r, d.reason) },
      );
    }
    case 'complete': {
      // The last step is 100% (the schema insists), so the config already serves the treatment.
      const full = percentToUnits(100);
      const weight =
        r.weightUnits !== full
          ? { weightUnits: full, action: 'rollout.complete', reason: weightReason(r, d.reason) }
          : undefined;
      return change({ ...base, status: 'completed', weightUnits: full }, 'completed', ['rollout.completed', r], weight);
    }
    case 'rollback':
      return change({ ...base, status: 'rolled-back', weightUnits: 0 }, 'rolled-back', ['rollout.rolled_back', r], {
        weightUnits: 0,
        action: 'rollout.rollback',
        reason: weightReason(r, d.reason),
      });
    case 'pause':
      return change({ ...base, status: 'paused' }, 'paused', ['rollout.paused', r]);
    case 'await-approval':
      if (r.status !== 'awaiting-approval')
        return change({ ...base, status: 'awaiting-approval' }, 'awaiting-approval', ['rollout.awaiting_approval', r]);
      return change(base);
    case 'hold':
      return change(base);
  }
}

/**
 * A person's action on the record as read, or the refusal to throw: a stale `version`
 * (409 STALE_VERSION), a status the action does not start from (409 INVALID_TRANSITION), an
 * approval without a gate (409 NO_GATE) or by the run's own requester (403 SELF_APPROVAL).
 * Access to the environment and, for a retry, the change's impact and another active rollout of
 * the flag are the driver's checks (they read the database). Webhook payloads describe the record
 * after the action.
 */
export function actionTransition(r: RolloutRecord, a: HumanAction, now: number): RolloutTransition | Refusal {
  if (a.version !== undefined && a.version !== r.version)
    return { refused: staleVersion(`rollout ${r.id}`, r.version) };
  const from = ACTION_FROM[a.kind];
  if (!from.includes(r.status))
    return {
      refused: conflict('INVALID_TRANSITION', `rollout ${r.id} is ${r.status}; this needs one of: ${from.join(', ')}`),
    };
  const { reason } = a;
  const change = (
    patch: Partial<RolloutRecord>,
    kind: RolloutEvent['kind'],
    notify?: [RolloutWebhookEvent, string],
    weightChange?: WeightChange,
  ) => {
    const t = finish(r, {
      patch: { ...patch, updatedAt: iso(now) },
      event: { kind, reason },
      notifications: [],
      ...(weightChange ? { weightChange } : {}),
    });
    if (notify) t.notifications.push({ event: notify[0], rollout: t.next, reason: notify[1] });
    return t;
  };
  switch (a.kind) {
    case 'pause':
      return change({ status: 'paused', lastReason: reason }, 'paused', [
        'rollout.paused',
        reason ?? `paused by ${a.actor.name}`,
      ]);
    case 'resume':
      // A resumed step starts its clock again: the time it was paused is not evidence of health.
      return change(
        {
          status: 'running',
          stepStartedAt: iso(now),
          counters: { ...r.counters, consecutiveFailures: {}, consecutiveErrors: {} },
          tickSeq: r.tickSeq + 1,
          nextTickAt: iso(now + r.policy.analysis.interval),
          lastReason: reason,
        },
        'resumed',
      );
    case 'approve': {
      if (!r.policy.steps[r.stepIndex]!.approval)
        return { refused: conflict('NO_GATE', `step ${r.stepIndex + 1} of rollout ${r.id} has no approval gate`) };
      // The person who asked for this run may not wave its gates through, with any of their keys.
      if (r.requestedByOwner === a.actor.owner) {
        return {
          refused: forbidden(
            `rollout ${r.id} was asked for by ${r.requestedByOwner}: someone else must approve its gates (any key of the same owner is refused)`,
            'SELF_APPROVAL',
          ),
        };
      }
      // Awaiting approval, the next tick is due now; running or paused, the schedule stands.
      const ticking = r.status === 'awaiting-approval';
      return change(
        {
          approvedStep: r.stepIndex,
          lastReason: reason,
          ...(ticking ? { status: 'running' as const, tickSeq: r.tickSeq + 1, nextTickAt: iso(now) } : {}),
        },
        'approved',
      );
    }
    case 'abort':
      // Everyone back on control.
      return change(
        { status: 'aborted', weightUnits: 0, lastReason: reason },
        'aborted',
        ['rollout.rolled_back', reason ?? 'aborted'],
        { weightUnits: 0, action: 'rollout.abort', reason: weightReason(r, reason ?? `aborted by ${a.actor.name}`) },
      );
    case 'retry': {
      // From step 1 with fresh counters; the retry's requester may not approve its gates.
      const weightUnits = percentToUnits(r.policy.steps[0]!.weight);
      return change(
        {
          status: 'running',
          stepIndex: 0,
          weightUnits,
          stepStartedAt: iso(now),
          counters: EMPTY_COUNTERS,
          approvedStep: null,
          tickSeq: r.tickSeq + 1,
          nextTickAt: iso(now + firstTickDelay(r.policy)),
          lastReason: reason,
          requestedByOwner: a.requestedBy?.owner ?? a.actor.owner,
        },
        'retried',
        undefined,
        { weightUnits, action: 'rollout.retry', reason: weightReason(r, reason ?? 'retry') },
      );
    }
  }
}

/** The wait before a run's first tick: the initial delay, at least one interval. */
export const firstTickDelay = (policy: Policy): number =>
  Math.max(policy.analysis.initialDelay, policy.analysis.interval);

/** What a new run needs: where, what, which policy, and who asked. */
export interface RolloutStart {
  projectKey: string;
  environmentId: string;
  flagKey: string;
  policy: Policy;
  treatment: string;
  control: string;
  requestedBy: { name: string; owner: string };
  now: number;
}

/** A new rollout's record, at step 1 with its first tick armed; its config is written at `weightUnits`. */
export function startedRollout(o: RolloutStart): Omit<RolloutRecord, 'id'> {
  const at = iso(o.now);
  return {
    projectKey: o.projectKey,
    environmentId: o.environmentId,
    flagKey: o.flagKey,
    policyName: o.policy.name,
    policy: o.policy,
    treatment: o.treatment,
    control: o.control,
    status: 'running',
    stepIndex: 0,
    stepStartedAt: at,
    weightUnits: percentToUnits(o.policy.steps[0]!.weight),
    tickSeq: 1,
    nextTickAt: iso(o.now + firstTickDelay(o.policy)),
    approvedStep: null,
    counters: EMPTY_COUNTERS,
    lastReason: null,
    version: 1,
    createdBy: o.requestedBy.name,
    requestedByOwner: o.requestedBy.owner,
    createdAt: at,
    updatedAt: at,
  };
}
