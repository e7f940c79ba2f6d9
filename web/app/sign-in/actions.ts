'use server';
import { redirect } from 'next/navigation';
import { callApi } from '../../lib/admin-api.ts';
import { endSession, startSession, type Who } from '../../lib/session.ts';

export interface SignInState {
  error?: string;
}

/** Checks the key against the API (GET /me) and starts a session; the key stays on the server. */
export async function signIn(_prev: SignInState, form: FormData): Promise<SignInState> {
  const token = String(form.get('token') ?? '').trim();
  if (!token) return { error: 'Enter an API key.' };
  if (token.length > 512) return { error: 'That is not an API key: keys are at most 512 characters.' };
  const me = await callApi<Who>('/me', { token });
  if (!me.ok) {
    if (me.status === 401) return { error: 'The API does not know this key, or it was revoked.' };
    if (me.error.code === 'SDK_KEY_NOT_ALLOWED')
      return { error: 'This is an SDK key: it works only with the evaluator. Sign in with an admin API key.' };
    return { error: me.error.message };
  }
  await startSession(token, me.data);
  redirect('/projects');
}

export async function signOut(): Promise<void> {
  await endSession();
  redirect('/sign-in');
}
