'use client';
import { useActionState } from 'react';
import { signIn, type SignInState } from './actions.ts';

export function SignInForm() {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, {});
  return (
    <form action={action} className="stack" aria-describedby={state.error ? 'sign-in-error' : undefined}>
      <label htmlFor="token">API key</label>
      <input id="token" name="token" type="password" autoComplete="off" required spellCheck={false} />
      <p className="hint">
        A key from <code>POST /api/v1/api-keys</code> (the first admin key is printed once when the controller starts).
        It stays on the console&apos;s server; this page never sees it again.
      </p>
      {state.error ? (
        <p id="sign-in-error" role="alert" className="error">
          {state.error}
        </p>
      ) : null}
      <button type="submit" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
