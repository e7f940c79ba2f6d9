import type { Segment } from '@flagship/evaluator';
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../components/api-error-panel.tsx';
import { callApi, seg } from '../../../../../../lib/admin-api.ts';
import { canEdit } from '../../../../../../lib/access.ts';
import { requireSession } from '../../../../../../lib/signed-in.ts';
import { Breadcrumbs, envPath, flagEditorPath, loadEnvironment } from './page-support.tsx';
import styles from './pages.module.css';

export const metadata: Metadata = { title: 'Segments · Flagship' };

type ListedSegment = Segment & { usedBy: string[] };

export default async function SegmentsPage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string; environment: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { who } = await requireSession();
  const { project, environment } = await params;
  const deleted = (await searchParams).deleted;
  const base = envPath(project, environment);
  const [env, list] = await Promise.all([
    loadEnvironment(project, environment),
    callApi<{ items: ListedSegment[] }>(`${base}/segments`),
  ]);
  const crumbs = (
    <Breadcrumbs
      items={[
        { label: 'Projects', href: '/projects' },
        { label: project, href: `/projects/${seg(project)}/flags?env=${seg(environment)}` },
        { label: env.ok ? env.data.name : environment },
        { label: 'Segments' },
      ]}
    />
  );
  if (!env.ok || !list.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>Segments</h1>
        <ApiErrorPanel error={!env.ok ? env.error : (list as Extract<typeof list, { ok: false }>).error} />
      </main>
    );
  const editable = canEdit(who, env.data.id);
  return (
    <main id="main">
      {crumbs}
      <h1>
        Segments <span className="muted">in {env.data.name}</span>
      </h1>
      {env.data.requireApproval ? (
        <p className="notice">
          <span className="badge danger">changes need approval</span> Creating, changing or deleting a segment here
          files a change request. <a href={`${base}/change-requests`}>Change requests of {env.data.name}</a>
        </p>
      ) : null}
      {typeof deleted === 'string' ? (
        <p role="status" className="ok">
          Segment {deleted} deleted.
        </p>
      ) : null}
      <p className="row">
        {editable ? (
          <a href={`${base}/segments/new`}>New segment</a>
        ) : (
          <span className="muted">Your key cannot change segments in this environment (an editor can).</span>
        )}
      </p>
      {list.data.items.length === 0 ? (
        <p>No segments in this environment yet.</p>
      ) : (
        <table>
          <caption>Segments of {env.data.name}</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Description</th>
              <th scope="col">Included</th>
              <th scope="col">Excluded</th>
              <th scope="col">Rules</th>
              <th scope="col">Used by</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((s) => (
              <tr key={s.key} data-segment={s.key}>
                <td>
                  <a href={`${base}/segments/${seg(s.key)}`}>{s.key}</a>
                </td>
                <td>{s.description ?? <span className="muted">—</span>}</td>
                <td data-col="included">{s.included.length}</td>
                <td data-col="excluded">{s.excluded.length}</td>
                <td data-col="rules">{s.rules.length}</td>
                <td data-col="used-by">
                  {s.usedBy.length === 0 ? (
                    <span className="muted">not used</span>
                  ) : (
                    <ul className={styles.inlineList}>
                      {s.usedBy.map((f) => (
                        <li key={f}>
                          <a href={flagEditorPath(project, environment, f)}>{f}</a>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
