'use server';
import { redirect } from 'next/navigation';
import type { ConfirmResult } from '../../../../components/confirm-dialog.tsx';
import { type ApiError, callApi, type Problem, seg } from '../../../../lib/admin-api.ts';
import { requireSession } from '../../../../lib/signed-in.ts';
import { bodyOf, type MetricDraft } from './metric-form-model.ts';

export interface SaveState {
  /** 400/422 problems, shown at the fields their paths name. */
  problems?: Problem[];
  /** Any other refusal, shown with ApiErrorPanel. */
  error?: ApiError;
  /** 409 STALE_VERSION: someone saved meanwhile. */
  stale?: { currentVersion?: number };
}

const str = (form: FormData, name: string) => String(form.get(name) ?? '');
const metricsPath = (project: string) => `/projects/${seg(project)}/metrics`;

/** Saves the editor's draft: POST (new) or PUT with If-Match on the version the form was read at. */
export async function saveMetric(_prev: SaveState, form: FormData): Promise<SaveState> {
  await requireSession();
  const project = str(form, 'project');
  const isNew = str(form, 'mode') === 'create';
  let draft: MetricDraft;
  try {
    draft = JSON.parse(str(form, 'draft')) as MetricDraft;
  } catch {
    return { problems: [{ path: '', message: 'the form could not be read: reload the page' }] };
  }
  const base = metricsPath(project);
  const body = bodyOf(draft);
  const saved = isNew
    ? await callApi<{ key: string; version: number }>(base, {
        method: 'POST',
        body: { key: draft.key.trim(), ...body },
      })
    : await callApi<{ key: string; version: number }>(`${base}/${seg(str(form, 'metric'))}`, {
        method: 'PUT',
        body,
        ifMatch: Number(str(form, 'version')),
      });
  if (!saved.ok) return failure(saved.error);
  redirect(`${base}/${seg(saved.data.key)}?saved=${saved.data.version}`);
}

function failure(error: ApiError): SaveState {
  if (error.code === 'STALE_VERSION') return { stale: { currentVersion: error.currentVersion }, error };
  if ((error.status === 400 || error.status === 422) && error.problems?.length)
    return { problems: error.problems, error };
  return { error };
}

/** Deletes a definition (ConfirmDialog); a refusal comes back as the API's message. */
export async function deleteMetric(_prev: ConfirmResult, form: FormData): Promise<ConfirmResult> {
  await requireSession();
  const project = str(form, 'project');
  const key = str(form, 'metric');
  const deleted = await callApi<null>(`${metricsPath(project)}/${seg(key)}`, { method: 'DELETE' });
  if (!deleted.ok)
    return {
      error: `${deleted.error.message} (${deleted.error.status ? `${deleted.error.status} ` : ''}${deleted.error.code})`,
    };
  redirect(`${metricsPath(project)}?deleted=${seg(key)}`);
}
