'use server';
/**
 * The console's schedule writes (docs/api.md "Schedules"): create one (a config, an enable or
 * disable, a rollout start) and cancel one. Each answers a value its form shows; none throws.
 * `at` arrives already carrying the browser's offset (lib/schedule-time.ts): the server does not
 * know the viewer's zone and must not guess it.
 */
import type { FlagConfig } from '@flagship/evaluator';
import { type ApiError, callApi, type Problem, seg } from '../../lib/admin-api.ts';
import { flagSchedulesHref } from '../../lib/schedule-links.ts';
import type { ScheduleView } from '../../lib/schedule-types.ts';
import { requireSession } from '../../lib/signed-in.ts';

export interface ScheduleTarget {
  project: string;
  environment: string;
  flag: string;
  /** ISO-8601 with an offset. */
  at: string;
  comment: string;
}

export type ScheduleChangeInput =
  | { kind: 'config'; config: FlagConfig; baseVersion: number }
  | { kind: 'action'; action: 'enable' | 'disable' }
  | { kind: 'rollout'; policy: string; treatment: string; control: string };

export type ScheduleOutcome =
  | { kind: 'scheduled'; schedule: ScheduleView; href: string }
  /** 400/422: problems by the API's paths (`at`, `config.rules[0]…`, `rollout.treatment`). */
  | { kind: 'invalid'; problems: Problem[]; error: ApiError }
  | { kind: 'failed'; error: ApiError };

const formProblem = (path: string, message: string): ScheduleOutcome => ({
  kind: 'invalid',
  problems: [{ path, message }],
  error: { status: 400, code: 'BAD_FORM', message: `${path}: ${message}`, problems: [{ path, message }], details: {} },
});

/** POST …/flags/{f}/schedules. A config's `version` or stray keys are dropped (a draft may carry them). */
export async function createSchedule(t: ScheduleTarget, change: ScheduleChangeInput): Promise<ScheduleOutcome> {
  await requireSession();
  if (!t.at) return formProblem('at', 'pick a date and time');
  if (!/[+-]\d{2}:\d{2}$|Z$/.test(t.at)) return formProblem('at', 'must carry an offset (the browser sends it)');
  const comment = t.comment.trim();
  let body: Record<string, unknown>;
  if (change.kind === 'config') {
    const { version: _v, ...config } = change.config as FlagConfig & { version?: number };
    body = { config, baseVersion: change.baseVersion };
  } else if (change.kind === 'action') body = { action: change.action };
  else body = { rollout: { policy: change.policy, treatment: change.treatment, control: change.control } };
  const r = await callApi<ScheduleView>(
    `/projects/${seg(t.project)}/environments/${seg(t.environment)}/flags/${seg(t.flag)}/schedules`,
    { method: 'POST', body: { at: t.at, ...(comment ? { comment } : {}), ...body } },
  );
  if (!r.ok) {
    if ((r.error.status === 400 || r.error.status === 422) && r.error.problems?.length)
      return { kind: 'invalid', problems: r.error.problems, error: r.error };
    return { kind: 'failed', error: r.error };
  }
  return { kind: 'scheduled', schedule: r.data, href: flagSchedulesHref(t.project, t.environment, t.flag) };
}

export interface RolloutScheduleState {
  error?: ApiError;
  scheduled?: { id: number; at: string; status: string; href: string };
}

const field = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

/** The rollout start form's "Start at …": the same fields as a start, plus `at` (with its offset). */
export async function scheduleRolloutStart(_prev: RolloutScheduleState, form: FormData): Promise<RolloutScheduleState> {
  const policy = field(form, 'policy');
  const treatment = field(form, 'treatment');
  const control = field(form, 'control');
  const o = await createSchedule(
    {
      project: field(form, 'project'),
      environment: field(form, 'environment'),
      flag: field(form, 'flag'),
      at: field(form, 'at'),
      comment: field(form, 'reason'),
    },
    { kind: 'rollout', policy, treatment, control },
  );
  if (o.kind === 'scheduled')
    return { scheduled: { id: o.schedule.id, at: o.schedule.at, status: o.schedule.status, href: o.href } };
  return { error: o.error };
}

export interface CancelResult {
  error?: string;
  ok?: boolean;
}

/** POST /schedules/{id}/cancel {comment}: the ConfirmDialog's action (its `reason` is the comment). */
export async function cancelSchedule(_prev: CancelResult, form: FormData): Promise<CancelResult> {
  await requireSession();
  const id = field(form, 'id');
  if (!/^[1-9][0-9]{0,14}$/.test(id)) return { error: 'id: not a schedule id' };
  const comment = field(form, 'reason');
  const r = await callApi<ScheduleView>(`/schedules/${seg(id)}/cancel`, {
    method: 'POST',
    body: comment ? { comment } : {},
  });
  if (!r.ok) return { error: `${r.error.message} (${r.error.status} ${r.error.code})` };
  return { ok: true };
}
