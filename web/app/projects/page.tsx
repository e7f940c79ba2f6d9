import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../components/api-error-panel.tsx';
import { callApi, seg } from '../../lib/admin-api.ts';
import { requireSession } from '../../lib/signed-in.ts';
import type { EnvironmentView, ProjectView } from '../../lib/api-types.ts';

export const metadata: Metadata = { title: 'Projects · Flagship' };

export default async function ProjectsPage() {
  await requireSession();
  const projects = await callApi<{ items: ProjectView[] }>('/projects');
  if (!projects.ok)
    return (
      <main id="main">
        <h1>Projects</h1>
        <ApiErrorPanel error={projects.error} />
      </main>
    );
  const envs = await Promise.all(
    projects.data.items.map((p) => callApi<{ items: EnvironmentView[] }>(`/projects/${seg(p.key)}/environments`)),
  );
  return (
    <main id="main">
      <h1>Projects</h1>
      {projects.data.items.length === 0 ? <p>No projects yet.</p> : null}
      {projects.data.items.map((p, i) => {
        const e = envs[i]!;
        return (
          <section key={p.key} aria-labelledby={`project-${p.key}`}>
            <h2 id={`project-${p.key}`}>
              <a href={`/projects/${seg(p.key)}/flags`}>{p.name}</a> <span className="muted">({p.key})</span>
            </h2>
            <p className="row">
              <a href={`/projects/${seg(p.key)}/metrics`}>Metrics</a>
            </p>
            {!e.ok ? (
              <ApiErrorPanel error={e.error} />
            ) : (
              <table>
                <caption>Environments of {p.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">EnvironmentView</th>
                    <th scope="col">Approval</th>
                    <th scope="col">Pages</th>
                  </tr>
                </thead>
                <tbody>
                  {e.data.items.map((env) => (
                    <tr key={env.key}>
                      <td>
                        {env.name} <span className="muted">({env.id})</span>
                      </td>
                      <td>
                        {env.requireApproval ? (
                          <span className="badge danger">changes need approval</span>
                        ) : (
                          <span className="badge">direct changes</span>
                        )}
                      </td>
                      <td className="row">
                        <a href={`/projects/${seg(p.key)}/flags?env=${seg(env.key)}`}>Flags</a>
                        <a href={`/projects/${seg(p.key)}/environments/${seg(env.key)}/segments`}>Segments</a>
                        <a href={`/projects/${seg(p.key)}/environments/${seg(env.key)}/change-requests`}>
                          Change requests
                        </a>
                        <a href={`/projects/${seg(p.key)}/environments/${seg(env.key)}/schedules`}>Schedules</a>
                        <a href={`/projects/${seg(p.key)}/environments/${seg(env.key)}/flags-as-code`}>Flags as code</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
    </main>
  );
}
