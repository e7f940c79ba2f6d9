/**
 * The pure parts of scheduled changes: reading `at`, checking a request body's envelope, and the
 * status transitions (what may happen to a schedule in each status, and what a due schedule
 * comes to). No I/O: the service reads what these need and writes what they decide.
 */
import type { Problem } from '@flagship/evaluator';
import { badRequest, conflict, invalidModel } from '../errors/domain-errors.ts';
import { checkShape, shapeProblems } from '../http/shape.ts';
import { PENDING_STATUSES, type ScheduleRecord, type ScheduleStatus } from './schedule-record.ts';

/**
 * How far in the past `at` may lie and still be accepted (then it applies at once): a client's
 * clock a little behind the controller's, or a request that took a moment, is not an error.
 */
export const CLOCK_SKEW_GRACE_MS = 5_000;
/** How far ahead a schedule may lie: a year and a day (a longer plan is a typo more often than not). */
export const MAX_AHEAD_MS = 366 * 24 * 3600 * 1000;

// Date, time to the minute at least, optional seconds and milliseconds, and a mandatory offset:
// a time without an offset means something else on every machine that reads it.
const AT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-](\d{2}):(\d{2}))$/;

/** Epoch ms of an ISO-8601 time with an offset, or a message saying what is wrong with it. */
export function parseAt(value: string): number | string {
  const m = AT.exec(value);
  if (!m) return 'must be an ISO-8601 time with an offset (2026-03-02T09:00:00+01:00 or ...Z)';
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  const offsetMin = m[8] === 'Z' ? 0 : (m[8]!.startsWith('-') ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  if (Math.abs(offsetMin) > 18 * 60) return 'has an offset beyond ±18:00';
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 2026-02-30 over into March; a calendar date that does not exist is refused.
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi ||
    check.getUTCSeconds() !== s
  )
    return 'is not a valid date and time';
  return utc - offsetMin * 60_000;
}

/** The body of POST .../schedules, its envelope checked; what the flag model says is the service's. */
export type ScheduleRequest =
  | { atMs: number; comment: string; kind: 'config'; config: Record<string, unknown>; baseVersion: number }
  | { atMs: number; comment: string; kind: 'action'; action: 'enable' | 'disable' }
  | { atMs: number; comment: string; kind: 'rollout'; policy: string; treatment: string; control: string };

const CHANGE_FIELDS = ['config', 'action', 'rollout'] as const;

/**
 * Checks the envelope (400, each problem naming its field) and `at` (422 naming `at`: in the
 * future, within {@link CLOCK_SKEW_GRACE_MS} of now at the earliest and {@link MAX_AHEAD_MS} at
 * the latest). Exactly one of `config` (with `baseVersion`), `action` and `rollout`.
 */
export function parseScheduleRequest(body: unknown, nowMs: number): ScheduleRequest {
  checkShape(body, {
    at: { type: 'string', required: true, max: 40 },
    comment: { type: 'string', max: 2000 },
    config: { type: 'object' },
    baseVersion: { type: 'integer' },
    action: { type: 'string', oneOf: ['enable', 'disable'] },
    rollout: { type: 'object' },
  });
  const given = CHANGE_FIELDS.filter((f) => body[f] !== undefined);
  if (given.length !== 1)
    throw badRequest(
      'the request body is malformed',
      [
        {
          path: given.length === 0 ? 'config' : given[1]!,
          message: `exactly one of config (with baseVersion), action or rollout is required${given.length > 1 ? `; got ${given.join(', ')}` : ''}`,
        },
      ],
      'INVALID_REQUEST',
    );
  const problems: Problem[] = [];
  if (given[0] === 'config' && body.baseVersion === undefined)
    problems.push({
      path: 'baseVersion',
      message: 'is required with config (the config version it was written against)',
    });
  if (given[0] !== 'config' && body.baseVersion !== undefined)
    problems.push({ path: 'baseVersion', message: 'is only taken with config' });
  if (given[0] === 'config' && typeof body.baseVersion === 'number' && body.baseVersion < 1)
    problems.push({ path: 'baseVersion', message: 'must be a positive integer' });
  if (given[0] === 'rollout')
    problems.push(
      ...shapeProblems(
        body.rollout,
        {
          policy: { type: 'string', required: true, max: 191 },
          treatment: { type: 'string', required: true, max: 191 },
          control: { type: 'string', required: true, max: 191 },
        },
        'rollout',
      ),
    );
  if (problems.length > 0) throw badRequest('the request body is malformed', problems);
  const at = parseAt(body.at as string);
  if (typeof at === 'string') throw badRequest('the request body is malformed', [{ path: 'at', message: at }]);
  if (at < nowMs - CLOCK_SKEW_GRACE_MS)
    throw invalidModel(
      [{ path: 'at', message: `must lie in the future (it is ${new Date(nowMs).toISOString()} now)` }],
      'at lies in the past',
    );
  if (at > nowMs + MAX_AHEAD_MS)
    throw invalidModel([{ path: 'at', message: 'must lie within a year and a day from now' }], 'at lies too far ahead');
  const comment = (body.comment as string | undefined) ?? '';
  if (given[0] === 'config')
    return {
      atMs: at,
      comment,
      kind: 'config',
      config: body.config as Record<string, unknown>,
      baseVersion: body.baseVersion as number,
    };
  if (given[0] === 'action') return { atMs: at, comment, kind: 'action', action: body.action as 'enable' | 'disable' };
  const r = body.rollout as { policy: string; treatment: string; control: string };
  return { atMs: at, comment, kind: 'rollout', policy: r.policy, treatment: r.treatment, control: r.control };
}

export const isPending = (status: ScheduleStatus): boolean => PENDING_STATUSES.includes(status);

/** A cancel is allowed up to the moment of application: only a pending schedule (409 otherwise). */
export function refuseUnlessPending(r: Pick<ScheduleRecord, 'id' | 'status'>, what: string): void {
  if (!isPending(r.status))
    throw conflict('SCHEDULE_NOT_PENDING', `schedule ${r.id} is already ${r.status}: it can no longer be ${what}`);
}

/** What a due schedule comes to; `conflict` is decided later, by the change itself. */
export type DueDecision =
  | { kind: 'apply' }
  | { kind: 'expire'; reason: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'not-due'; inMs: number };

/**
 * The due-time transition. A final schedule is skipped (its job ran twice, or it was cancelled);
 * one not yet due waits; one that needs an approval it lacks expires, whether it was filed in an
 * approval-required environment or the environment began to require approval after it was filed.
 */
export function dueDecision(
  r: Pick<ScheduleRecord, 'status' | 'at' | 'approvedBy'>,
  o: { nowMs: number; requiresApproval: boolean },
): DueDecision {
  if (!isPending(r.status)) return { kind: 'skip', reason: `already ${r.status}` };
  const inMs = Date.parse(r.at) - o.nowMs;
  if (inMs > 0) return { kind: 'not-due', inMs };
  if (r.status === 'awaiting-approval') return { kind: 'expire', reason: `not approved before ${r.at}` };
  if (o.requiresApproval && r.approvedBy === null)
    return { kind: 'expire', reason: `the environment requires approval and the schedule was never approved` };
  return { kind: 'apply' };
}

/** Approval of its change request: only while awaiting approval and before `at`. */
export function refuseApproval(r: Pick<ScheduleRecord, 'id' | 'status' | 'at'>, nowMs: number): void {
  if (r.status !== 'awaiting-approval')
    throw conflict('SCHEDULE_NOT_PENDING', `schedule ${r.id} is ${r.status}: there is nothing to approve`);
  if (Date.parse(r.at) <= nowMs)
    throw conflict('SCHEDULE_DUE', `schedule ${r.id} was due at ${r.at}: approval came too late, it expires`);
}
