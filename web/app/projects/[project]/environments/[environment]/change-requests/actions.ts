'use server';
import { refresh } from 'next/cache';
import { type ApiError, callApi, seg } from '../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../lib/signed-in.ts';

export interface DecisionState {
  /** The API's refusal (403 SELF_APPROVAL, 409 BASE_MOVED, …), shown with ApiErrorPanel. */
  error?: ApiError;
  /** What was done, for the status line. */
  done?: string;
}

const DONE = { approve: 'Approved and applied', reject: 'Rejected', cancel: 'Cancelled' } as const;

/** Approve, reject or cancel (the form's `decision`), with its comment; the page re-renders with the result. */
export async function decide(_prev: DecisionState, form: FormData): Promise<DecisionState> {
  await requireSession();
  const decision = String(form.get('decision') ?? '');
  if (decision !== 'approve' && decision !== 'reject' && decision !== 'cancel')
    return { error: { status: 0, code: 'BAD_FORM', message: `unknown decision ${decision}`, details: {} } };
  const project = String(form.get('project') ?? '');
  const environment = String(form.get('environment') ?? '');
  const id = String(form.get('id') ?? '');
  const comment = String(form.get('comment') ?? '');
  const r = await callApi<{ status: string; appliedVersion: number | null }>(
    `/projects/${seg(project)}/environments/${seg(environment)}/change-requests/${seg(id)}/${decision}`,
    { method: 'POST', body: comment ? { comment } : {} },
  );
  if (!r.ok) return { error: r.error };
  refresh();
  return {
    done:
      decision === 'approve' && r.data.appliedVersion !== null
        ? `${DONE[decision]} (version ${r.data.appliedVersion}).`
        : `${DONE[decision]}.`,
  };
}
