'use server';
import { refresh } from 'next/cache';
import type { ConfirmResult } from '../../components/confirm-dialog.tsx';
import { callApi, seg } from '../../lib/admin-api.ts';
import { requireSession } from '../../lib/signed-in.ts';

const ACTIONS = ['pause', 'resume', 'approve', 'abort', 'retry'] as const;

/**
 * Pause, resume, approve, abort or retry (the form's `action`) at the version the page read: a
 * rollout that moved since is refused (409) rather than acted on blind. The API's refusal comes
 * back as its words, shown in the dialog.
 */
export async function rolloutCommand(_prev: ConfirmResult, form: FormData): Promise<ConfirmResult> {
  await requireSession();
  const action = String(form.get('action') ?? '');
  if (!(ACTIONS as readonly string[]).includes(action)) return { error: `unknown action “${action}”` };
  const id = String(form.get('id') ?? '');
  if (!/^\d{1,15}$/.test(id)) return { error: 'id: expected a rollout number' };
  const version = Number(form.get('version'));
  const reason = String(form.get('reason') ?? '').trim();
  const r = await callApi<{ status: string }>(`/rollouts/${seg(id)}/${action}`, {
    method: 'POST',
    body: { ...(Number.isInteger(version) && version > 0 ? { version } : {}), ...(reason ? { reason } : {}) },
  });
  if (!r.ok) return { error: `${r.error.message} (${r.error.status ? `${r.error.status} ` : ''}${r.error.code})` };
  refresh();
  return { ok: true };
}
