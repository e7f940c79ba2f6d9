'use server';
import { revalidatePath } from 'next/cache';
import { callApi, seg } from '../../lib/admin-api.ts';
import { endSessionsOfKey } from '../../lib/session.ts';
import { requireSession } from '../../lib/signed-in.ts';
import { type CreateState, environmentsOf, type ListedKey, type RevokeState } from './model.ts';

const str = (form: FormData, name: string) => String(form.get(name) ?? '');

/** POST /api-keys; the answer's token goes back to the form's state only (no URL, no cookie). */
export async function createKey(_prev: CreateState, form: FormData): Promise<CreateState> {
  await requireSession();
  const role = str(form, 'role');
  const body = {
    name: str(form, 'name').trim(),
    owner: str(form, 'owner').trim(),
    role,
    environments: environmentsOf(
      role,
      str(form, 'scope'),
      form.getAll('environments').map((v) => String(v)),
    ),
  };
  const r = await callApi<ListedKey & { token: string }>('/api-keys', { method: 'POST', body });
  if (!r.ok) return { error: r.error };
  revalidatePath('/api-keys');
  return { created: r.data };
}

/** POST /api-keys/:id/revoke, then ends the console sessions of that key at once. */
export async function revokeKey(keyId: string): Promise<RevokeState> {
  await requireSession();
  const r = await callApi<ListedKey>(`/api-keys/${seg(keyId)}/revoke`, { method: 'POST' });
  if (!r.ok) return { error: r.error };
  endSessionsOfKey(keyId);
  revalidatePath('/api-keys');
  return { ok: true };
}
