/**
 * The rows a schedule's transition writes in its own transaction: the audit row and, for the
 * transitions that notify, the webhook outbox rows. Shared by the service and by the change
 * request decisions that approve or withdraw a schedule (schedule-approval.ts).
 */
import { auditRecord } from '../audit/audit-record.ts';
import type { Stores } from '../db/stores.ts';
import type { Actor, RequestContext } from '../http/request-context.ts';
import type { ScheduleAuthor, ScheduleRecord } from './schedule-record.ts';

export type ScheduleWebhookEvent = 'schedule.applied' | 'schedule.conflicted' | 'schedule.expired';
export const SCHEDULE_WEBHOOK_EVENTS: readonly ScheduleWebhookEvent[] = [
  'schedule.applied',
  'schedule.conflicted',
  'schedule.expired',
];

/** Webhook events: written to the webhook outbox in the causing transaction, drained by the workers. */
export interface ScheduleNotifier {
  record(s: Stores, event: ScheduleWebhookEvent, payload: Record<string, unknown>): Promise<void>;
  /** After COMMIT: a hint to drain now (never throws). */
  wake(): void;
}

/** The key id of every change the scheduler applies (filter the audit log with `actor=scheduler`). */
export const SCHEDULER_KEY_ID = 'scheduler';

/**
 * Who applies a schedule: the scheduler, on behalf of its author. The audit row's key id is
 * `scheduler`, its name says for whom, and its owner is the author's, so the audit log's owner
 * column still names the person who asked for the change. Access was checked when it was
 * scheduled (and approved); the scheduler itself is not limited to environments.
 */
export function schedulerActor(author: ScheduleAuthor): Actor {
  return {
    keyId: SCHEDULER_KEY_ID,
    name: `scheduler on behalf of ${author.owner}`,
    owner: author.owner,
    role: 'admin',
    environments: null,
  };
}

export const schedulerContext = (r: Pick<ScheduleRecord, 'id' | 'author'>): RequestContext => ({
  actor: schedulerActor(r.author),
  requestId: `schedule-${r.id}`,
});

/** A schedule as the API, the audit log and the webhooks show it. */
export function scheduleView(r: ScheduleRecord) {
  const c = r.change;
  return {
    id: r.id,
    project: r.projectKey,
    environment: r.environmentId,
    flag: r.flagKey,
    at: r.at,
    comment: r.comment,
    status: r.status,
    kind: c.kind,
    ...(c.kind === 'config' ? { config: c.config, baseVersion: c.baseVersion } : {}),
    ...(c.kind === 'action' ? { action: c.action } : {}),
    ...(c.kind === 'rollout' ? { rollout: { policy: c.policy, treatment: c.treatment, control: c.control } } : {}),
    author: r.author,
    changeRequestId: r.changeRequestId,
    approvedBy: r.approvedBy,
    outcome: r.outcome,
    appliedVersion: r.appliedVersion,
    rolloutId: r.rolloutId,
    version: r.version,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** The audit row of a schedule's transition (`schedule.created`, `schedule.applied`, ...). */
export async function auditSchedule(
  s: Stores,
  ctx: RequestContext,
  now: string,
  before: ScheduleRecord | null,
  after: ScheduleRecord,
  action: string,
  reason: string | null,
): Promise<void> {
  const summary = (r: ScheduleRecord) => ({
    status: r.status,
    at: r.at,
    kind: r.change.kind,
    outcome: r.outcome,
    appliedVersion: r.appliedVersion,
    rolloutId: r.rolloutId,
  });
  await s.audit.append(
    auditRecord(ctx, now, {
      action,
      entityType: 'schedule',
      entityKey: String(after.id),
      projectKey: after.projectKey,
      environmentId: after.environmentId,
      flagKey: after.flagKey,
      before: before ? summary(before) : null,
      after: before ? summary(after) : scheduleView(after),
      reason,
    }),
  );
}

/** The webhook payload: what a receiver needs to tell which schedule, where, and what came of it. */
export const webhookPayload = (r: ScheduleRecord): Record<string, unknown> => ({
  schedule: r.id,
  project: r.projectKey,
  environment: r.environmentId,
  flag: r.flagKey,
  at: r.at,
  kind: r.change.kind,
  status: r.status,
  outcome: r.outcome,
  author: r.author.owner,
  appliedVersion: r.appliedVersion,
  rolloutId: r.rolloutId,
});
