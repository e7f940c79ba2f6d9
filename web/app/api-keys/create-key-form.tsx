'use client';
import { useActionState, useState } from 'react';
import { ApiErrorPanel } from '../../components/api-error-panel.tsx';
import { createKey } from './actions.ts';
import styles from './api-keys.module.css';
import { type CreateState, isEvaluatorKey, KEY_ROLES } from './model.ts';

export interface EnvironmentChoice {
  id: string;
  label: string;
}

const ROLE_HINTS: Record<string, string> = {
  viewer: 'reads everything it may reach',
  editor: 'changes flags, configs, segments; imports; files change requests',
  approver: 'also approves change requests of others',
  admin: 'also API keys, projects, environments',
  sdk: 'evaluator only; exactly one environment',
  client: 'browser and mobile apps: evaluates flags over OFREP, nothing else; exactly one environment',
};

/** The create form, and once a key is made its token, shown this once with a Copy button. */
export function CreateKeyForm({ environments }: { environments: EnvironmentChoice[] }) {
  const [state, action, pending] = useActionState<CreateState, FormData>(createKey, {});
  const [scope, setScope] = useState<'all' | 'some'>('all');
  const [role, setRole] = useState<string>('viewer');
  const [copyStatus, setCopyStatus] = useState('');
  const [shownFor, setShownFor] = useState<string | undefined>(undefined);
  const created = state.created;
  // A new token clears the previous copy status.
  if (created && shownFor !== created.id) {
    setShownFor(created.id);
    setCopyStatus('');
  }
  const limited = isEvaluatorKey(role) || scope === 'some';
  return (
    <section aria-labelledby="create-key-heading">
      <h2 id="create-key-heading">Create a key</h2>
      {created ? (
        <div className={`notice stack ${styles.token}`}>
          <p>
            <strong>
              Key “{created.name}” for {created.owner} ({created.role}) created.
            </strong>
          </p>
          <label htmlFor="new-token">Token of the new key</label>
          <div className="row">
            <input
              id="new-token"
              className={styles.tokenField}
              readOnly
              value={created.token}
              aria-describedby="new-token-warning"
              spellCheck={false}
              autoComplete="off"
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              onClick={() => {
                (navigator.clipboard?.writeText(created.token) ?? Promise.reject(new Error('no clipboard'))).then(
                  () => setCopyStatus('Copied'),
                  () => setCopyStatus('Could not copy: select the token and copy it by hand'),
                );
              }}
            >
              Copy
            </button>
            <span role="status" aria-live="polite" className="ok" data-testid="copy-status">
              {copyStatus}
            </span>
          </div>
          <p id="new-token-warning" className="warn">
            Copy it now: the token is shown this once and never again (the API keeps only its hash).
          </p>
        </div>
      ) : null}
      {state.error ? <ApiErrorPanel error={state.error} title="The key was not created" /> : null}
      <form action={action} className={`stack ${styles.form}`}>
        <label htmlFor="key-name">Name</label>
        <input id="key-name" name="name" required maxLength={255} autoComplete="off" />
        <label htmlFor="key-owner">Owner (the person: a name or an email)</label>
        <input id="key-owner" name="owner" required maxLength={255} autoComplete="off" />
        <label htmlFor="key-role">Role</label>
        <select
          id="key-role"
          name="role"
          value={role}
          onChange={(e) => setRole(e.target.value)}
          aria-describedby="key-role-hint"
        >
          {KEY_ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <p id="key-role-hint" className="hint">
          {ROLE_HINTS[role]}
        </p>
        <fieldset>
          <legend>Environments</legend>
          <div className="stack">
            <label>
              <input
                type="radio"
                name="scope"
                value="all"
                checked={scope === 'all' && !isEvaluatorKey(role)}
                disabled={isEvaluatorKey(role)}
                onChange={() => setScope('all')}
              />{' '}
              All environments
            </label>
            <label>
              <input type="radio" name="scope" value="some" checked={limited} onChange={() => setScope('some')} /> Only
              the environments checked below
            </label>
            {environments.length === 0 ? <p className="hint">No environments exist yet.</p> : null}
            <ul className={styles.envList}>
              {environments.map((e) => (
                <li key={e.id}>
                  <label>
                    <input type="checkbox" name="environments" value={e.id} disabled={!limited} /> {e.label}{' '}
                    <code>{e.id}</code>
                  </label>
                </li>
              ))}
            </ul>
          </div>
        </fieldset>
        <div className="row">
          <button type="submit" className="primary" disabled={pending}>
            {pending ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </section>
  );
}
