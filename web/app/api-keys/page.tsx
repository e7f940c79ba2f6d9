import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../components/api-error-panel.tsx';
import { isAdmin } from '../../lib/access.ts';
import { callApi, seg } from '../../lib/admin-api.ts';
import { requireSession } from '../../lib/signed-in.ts';
import { CreateKeyForm, type EnvironmentChoice } from './create-key-form.tsx';
import type { ListedKey } from './model.ts';
import { RevokeKey } from './revoke-key.tsx';
import type { EnvironmentView, ProjectView } from '../../lib/api-types.ts';

export const metadata: Metadata = { title: 'API keys · Flagship' };

const when = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
};

export default async function ApiKeysPage() {
  const { who } = await requireSession();
  if (!isAdmin(who))
    return (
      <main id="main">
        <h1>API keys</h1>
        <p className="notice" role="note">
          Managing API keys needs an admin key without an environment list. Your key is {who.role}
          {who.environments === null ? '' : ` limited to ${who.environments.join(', ') || 'no environments'}`}: ask an
          admin to create or revoke keys.
        </p>
      </main>
    );
  const [keys, projects] = await Promise.all([
    callApi<{ items: ListedKey[] }>('/api-keys'),
    callApi<{ items: ProjectView[] }>('/projects'),
  ]);
  const choices: EnvironmentChoice[] = [];
  let envError = projects.ok ? undefined : projects.error;
  if (projects.ok) {
    const envs = await Promise.all(
      projects.data.items.map((p) => callApi<{ items: EnvironmentView[] }>(`/projects/${seg(p.key)}/environments`)),
    );
    projects.data.items.forEach((p, i) => {
      const e = envs[i]!;
      if (!e.ok) envError ??= e.error;
      else for (const env of e.data.items) choices.push({ id: env.id, label: `${p.name} · ${env.name}` });
    });
  }
  return (
    <main id="main">
      <h1>API keys</h1>
      <p className="hint">
        Each key belongs to a person (its owner); four-eyes rules compare owners. Tokens are shown once, when a key is
        created.
      </p>
      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading">Keys</h2>
        {!keys.ok ? (
          <ApiErrorPanel error={keys.error} />
        ) : keys.data.items.length === 0 ? (
          <p>No keys.</p>
        ) : (
          <table>
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Name</th>
                <th scope="col">Owner</th>
                <th scope="col">Role</th>
                <th scope="col">Environments</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td>{k.id}</td>
                  <td>
                    {k.name}
                    {k.tokenPrefix ? (
                      <>
                        {' '}
                        <code className="muted">{k.tokenPrefix}…</code>
                      </>
                    ) : null}
                  </td>
                  <td>{k.owner}</td>
                  <td>
                    <span className="badge">{k.role}</span>
                  </td>
                  <td>{k.environments === null ? 'all' : k.environments.join(', ') || 'none'}</td>
                  <td>{when(k.createdAt)}</td>
                  <td>{k.lastUsedAt ? when(k.lastUsedAt) : <span className="muted">—</span>}</td>
                  <td>
                    {k.revokedAt ? (
                      <span className="badge off">revoked {when(k.revokedAt)}</span>
                    ) : (
                      <span className="badge on">active</span>
                    )}
                  </td>
                  <td>
                    {k.revokedAt ? null : <RevokeKey id={k.id} name={k.name} owner={k.owner} self={k.id === who.id} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {envError ? <ApiErrorPanel error={envError} title="The environments could not be listed" /> : null}
      <CreateKeyForm environments={choices} />
    </main>
  );
}
