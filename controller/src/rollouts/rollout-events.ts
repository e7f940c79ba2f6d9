/**
 * Rollout transitions that other features make inside their own transactions (an environment's
 * deletion), and the rows every transition writes: event + audit, and the webhook outbox rows of
 * the events that notify. Kept apart from rollout-service.ts so that environments/ can end
 * rollouts without importing the flag service.
 */
import { auditRecord } from '../audit/audit-record.ts';
import type { Stores } from '../db/stores.ts';
import { staleVersion } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import { ACTIVE_STATUSES, type RolloutEvent, type RolloutRecord } from './rollout-record.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export type RolloutWebhookEvent =
  | 'rollout.step_completed'
  | 'rollout.paused'
  | 'rollout.rolled_back'
  | 'rollout.completed'
  | 'rollout.awaiting_approval';

/** Webhook events: written to the webhook outbox in the causing transaction, drained by the workers. */
export interface RolloutNotifier {
  /** Inside the transaction: its rows commit or vanish with the transition. */
  record(s: Stores, event: RolloutWebhookEvent, payload: Record<string, unknown>): Promise<void>;
  /** After COMMIT: a hint to drain now (never throws; a lost hint waits for the periodic sweep). */
  wake(): void;
}

/** A transition's webhook outbox rows, in its transaction: if they cannot be written, nothing is. */
export async function recordRolloutWebhook(
  notifier: RolloutNotifier,
  s: Stores,
  event: RolloutWebhookEvent,
  r: RolloutRecord,
  reason: string,
): Promise<void> {
  await notifier.record(s, event, {
    rollout: r.id,
    flag: r.flagKey,
    environment: r.environmentId,
    policy: r.policyName,
    status: r.status,
    step: r.stepIndex + 1,
    weightPercent: r.weightUnits / 1000,
    reason,
  });
}

/** A transition's event row and audit row. */
export async function recordRolloutEvent(
  s: Stores,
  ctx: RequestContext,
  r: RolloutRecord,
  kind: RolloutEvent['kind'],
  reason: string | null,
  now: number,
): Promise<void> {
  await s.rollouts.appendEvent({
    rolloutId: r.id,
    at: iso(now),
    kind,
    actor: ctx.actor.name,
    stepIndex: r.stepIndex,
    weightUnits: r.weightUnits,
    reason,
  });
  await s.audit.append(
    auditRecord(ctx, iso(now), {
      action: `rollout.${kind}`,
      entityType: 'rollout',
      entityKey: String(r.id),
      projectKey: r.projectKey,
      environmentId: r.environmentId,
      flagKey: r.flagKey,
      after: { status: r.status, step: r.stepIndex + 1, weightPercent: r.weightUnits / 1000, policy: r.policyName },
      reason,
    }),
  );
}

/**
 * Ends an environment's active rollouts inside the transaction that deletes it: each is aborted
 * with `reason`, with its event and audit row and, like any other abort, a `rollout.rolled_back`
 * webhook outbox row (the caller wakes `notifier` after COMMIT when any was aborted). The
 * record's weight becomes 0 as in a human abort (nobody is served the treatment: the configs go
 * with the environment), but no config is written, and no tick follows (a tick applies only to a
 * ticking status, and the version moved). Returns the aborted rollouts.
 */
export async function abortRolloutsOfEnvironment(
  s: Stores,
  ctx: RequestContext,
  notifier: RolloutNotifier,
  environmentId: string,
  reason: string,
  now: number,
): Promise<RolloutRecord[]> {
  const aborted: RolloutRecord[] = [];
  for (const status of ACTIVE_STATUSES) {
    // At most one active rollout per flag, so one environment's are bounded by its flags.
    for (const r of await s.rollouts.list({ environmentId, status, limit: 100_000 })) {
      const patch = { status: 'aborted' as const, weightUnits: 0, lastReason: reason, updatedAt: iso(now) };
      if (!(await s.rollouts.update(r.id, r.version, patch))) throw staleVersion(`rollout ${r.id}`, r.version + 1);
      const updated: RolloutRecord = { ...r, ...patch, version: r.version + 1 };
      await recordRolloutEvent(s, ctx, updated, 'aborted', reason, now);
      await recordRolloutWebhook(notifier, s, 'rollout.rolled_back', updated, reason);
      aborted.push(updated);
    }
  }
  return aborted;
}
