'use server';
import { redirect } from 'next/navigation';
import type { ConfirmResult } from '../../../../../../components/confirm-dialog.tsx';
import { type ApiError, callApi, type Problem, seg } from '../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../lib/signed-in.ts';
import { bodyOf, type SegmentDraft } from './segment-form-model.ts';

export interface SaveState {
  /** 400/422 problems, shown at the fields their paths name. */
  problems?: Problem[];
  /** Any other refusal, shown with ApiErrorPanel. */
  error?: ApiError;
  /** 409 STALE_VERSION: someone saved meanwhile. */
  stale?: { currentVersion?: number };
  /** In an approval-required environment: the change request filed. */
  changeRequest?: { id: string; href: string };
}

const str = (form: FormData, name: string) => String(form.get(name) ?? '');

function envBase(project: string, environment: string) {
  return `/projects/${seg(project)}/environments/${seg(environment)}`;
}

interface FiledRequest {
  id: string | number;
}

/**
 * Saves the editor's draft: POST (new) or PUT with If-Match (existing); in an approval-required
 * environment, files a change request of kind `segment` instead.
 */
export async function saveSegment(_prev: SaveState, form: FormData): Promise<SaveState> {
  await requireSession();
  const project = str(form, 'project');
  const environment = str(form, 'environment');
  const isNew = str(form, 'mode') === 'create';
  const approval = str(form, 'approval') === '1';
  const version = Number(str(form, 'version'));
  let draft: SegmentDraft;
  try {
    draft = JSON.parse(str(form, 'draft')) as SegmentDraft;
  } catch {
    return { problems: [{ path: '', message: 'the form could not be read: reload the page' }] };
  }
  const key = isNew ? draft.key.trim() : str(form, 'segment');
  const body = bodyOf(draft);
  const base = envBase(project, environment);

  if (approval) {
    const filed = await callApi<FiledRequest>(`${base}/change-requests`, {
      method: 'POST',
      body: {
        kind: 'segment',
        action: isNew ? 'create' : 'update',
        segmentKey: key,
        segment: body,
        baseVersion: isNew ? 0 : version,
        comment: str(form, 'comment'),
      },
    });
    if (!filed.ok) return failure(filed.error);
    const id = String(filed.data.id);
    return { changeRequest: { id, href: `${base}/change-requests/${seg(id)}` } };
  }

  const saved = isNew
    ? await callApi<{ key: string; version: number }>(`${base}/segments`, { method: 'POST', body: { key, ...body } })
    : await callApi<{ key: string; version: number }>(`${base}/segments/${seg(key)}`, {
        method: 'PUT',
        body,
        ifMatch: version,
      });
  if (!saved.ok) return failure(saved.error);
  redirect(`${base}/segments/${seg(saved.data.key)}?saved=${saved.data.version}`);
}

function failure(error: ApiError): SaveState {
  if (error.code === 'STALE_VERSION') return { stale: { currentVersion: error.currentVersion }, error };
  if ((error.status === 400 || error.status === 422) && error.problems?.length)
    return { problems: error.problems, error };
  return { error };
}

/**
 * Deletes a segment (ConfirmDialog; its reason is the change request's comment in an
 * approval-required environment). SEGMENT_IN_USE and every other refusal come back as the API's message.
 */
export async function deleteSegment(_prev: ConfirmResult, form: FormData): Promise<ConfirmResult> {
  await requireSession();
  const project = str(form, 'project');
  const environment = str(form, 'environment');
  const key = str(form, 'segment');
  const base = envBase(project, environment);
  const say = (e: ApiError) => ({ error: `${e.message} (${e.status ? `${e.status} ` : ''}${e.code})` });
  if (str(form, 'approval') === '1') {
    const filed = await callApi<FiledRequest>(`${base}/change-requests`, {
      method: 'POST',
      body: {
        kind: 'segment',
        action: 'delete',
        segmentKey: key,
        baseVersion: Number(str(form, 'version')),
        comment: str(form, 'reason'),
      },
    });
    if (!filed.ok) return say(filed.error);
    redirect(`${base}/change-requests/${seg(String(filed.data.id))}`);
  }
  const deleted = await callApi<null>(`${base}/segments/${seg(key)}`, { method: 'DELETE' });
  if (!deleted.ok) return say(deleted.error);
  redirect(`${base}/segments?deleted=${seg(key)}`);
}
