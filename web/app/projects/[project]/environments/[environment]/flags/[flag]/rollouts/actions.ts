'use server';
import { redirect } from 'next/navigation';
import { type ApiError, callApi, seg } from '../../../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../../../lib/signed-in.ts';

export interface StartState {
  error?: ApiError;
}

const field = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

function formError(path: string, message: string): StartState {
  return {
    error: {
      status: 400,
      code: 'BAD_FORM',
      message: `${path}: ${message}`,
      problems: [{ path, message }],
      details: {},
    },
  };
}

/** Starts a rollout of the flag (POST …/flags/{f}/rollouts) and opens its page. */
export async function startRollout(_prev: StartState, form: FormData): Promise<StartState> {
  await requireSession();
  const project = field(form, 'project');
  const environment = field(form, 'environment');
  const flag = field(form, 'flag');
  const policy = field(form, 'policy');
  const treatment = field(form, 'treatment');
  const control = field(form, 'control');
  const reason = field(form, 'reason');
  if (!policy) return formError('policy', 'pick a policy');
  if (!treatment) return formError('treatment', 'pick the treatment variant');
  if (!control) return formError('control', 'pick the control variant');
  if (treatment === control) return formError('control', 'must differ from the treatment');
  const r = await callApi<{ id: number }>(
    `/projects/${seg(project)}/environments/${seg(environment)}/flags/${seg(flag)}/rollouts`,
    { method: 'POST', body: { policy, treatment, control, ...(reason ? { reason } : {}) } },
  );
  if (!r.ok) return { error: r.error };
  redirect(`/rollouts/${r.data.id}`);
}
