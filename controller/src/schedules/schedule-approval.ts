/**
 * What the change request decisions do to the schedule a request of kind `schedule` carries,
 * inside the decision's transaction: approval arms it (it is applied at `at`, not now), a
 * rejection or a cancel withdraws it. The change request service calls these; they use only
 * the stores, so schedules/ never imports the change request service.
 */
import { assessChange, enforceImpact } from '../auth/change-impact.ts';
import type { Stores } from '../db/stores.ts';
import { conflict, notFound } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { ScheduleRecord } from './schedule-record.ts';
import { auditSchedule } from './schedule-events.ts';
import { isPending, refuseApproval } from './schedule-rules.ts';

/** The part of the change a schedule makes, for the approver's access check (auth/change-impact.ts). */
export const changePartOf = (r: ScheduleRecord) =>
  r.change.kind === 'rollout'
    ? { kind: 'rollout' as const, environmentId: r.environmentId, flagKey: r.flagKey }
    : { kind: 'config' as const, environmentId: r.environmentId, flagKey: r.flagKey };

async function scheduleOf(s: Stores, changeRequestId: string): Promise<ScheduleRecord> {
  const r = await s.schedules.findByChangeRequest(changeRequestId);
  if (!r) throw notFound(`schedule of change request ${changeRequestId}`);
  return r;
}

/**
 * Approval of a schedule's change request (self-approval was refused by the caller): the
 * approver's key must be allowed to make the change, and `at` must still lie ahead.
 */
export async function approveSchedule(
  s: Stores,
  ctx: RequestContext,
  changeRequestId: string,
  now: string,
): Promise<ScheduleRecord> {
  const r = await scheduleOf(s, changeRequestId);
  refuseApproval(r, Date.parse(now));
  enforceImpact(ctx.actor, await assessChange(s, r.projectKey, [changePartOf(r)]), {
    approved: true,
    kind: 'schedule',
  });
  const approvedBy = { keyId: ctx.actor.keyId, name: ctx.actor.name, owner: ctx.actor.owner };
  const patch = { status: 'scheduled' as const, approvedBy, updatedAt: now };
  if (!(await s.schedules.update(r.id, r.version, patch)))
    throw conflict('SCHEDULE_NOT_PENDING', `schedule ${r.id} changed concurrently`);
  const next: ScheduleRecord = { ...r, ...patch, version: r.version + 1 };
  await auditSchedule(s, ctx, now, r, next, 'schedule.approved', `approved by ${ctx.actor.owner}`);
  return next;
}

/** A rejected or cancelled schedule request withdraws its schedule (if it is still pending). */
export async function withdrawSchedule(
  s: Stores,
  ctx: RequestContext,
  changeRequestId: string,
  now: string,
  why: string,
): Promise<void> {
  const r = await scheduleOf(s, changeRequestId);
  if (!isPending(r.status)) return;
  const patch = { status: 'cancelled' as const, outcome: why, updatedAt: now };
  if (!(await s.schedules.update(r.id, r.version, patch)))
    throw conflict('SCHEDULE_NOT_PENDING', `schedule ${r.id} changed concurrently`);
  await auditSchedule(s, ctx, now, r, { ...r, ...patch, version: r.version + 1 }, 'schedule.cancelled', why);
}
