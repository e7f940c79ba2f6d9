import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../components/api-error-panel.tsx';
import { callApi, seg } from '../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../lib/signed-in.ts';
import { Breadcrumbs, envPath, loadEnvironment } from '../segments/page-support.tsx';
import {
  actionOf,
  type ChangeRequest,
  type CrStatus,
  STATUSES,
  statusText,
  subjectOf,
} from './change-request-model.ts';

export const metadata: Metadata = { title: 'Change requests · Flagship' };

const LABEL: Record<CrStatus, string> = {
  pending: 'Pending',
  applied: 'Applied',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
};
const BADGE: Record<CrStatus, string> = {
  pending: 'badge',
  applied: 'badge on',
  rejected: 'badge danger',
  cancelled: 'badge off',
};

export default async function ChangeRequestsPage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string; environment: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireSession();
  const { project, environment } = await params;
  const q = (await searchParams).status;
  const status: CrStatus = (STATUSES as readonly unknown[]).includes(q) ? (q as CrStatus) : 'pending';
  const base = envPath(project, environment);
  const [env, list] = await Promise.all([
    loadEnvironment(project, environment),
    callApi<{ items: ChangeRequest[] }>(`${base}/change-requests?status=${status}`),
  ]);
  const crumbs = (
    <Breadcrumbs
      items={[
        { label: 'Projects', href: '/projects' },
        { label: project, href: `/projects/${seg(project)}/flags?env=${seg(environment)}` },
        { label: env.ok ? env.data.name : environment },
        { label: 'Change requests' },
      ]}
    />
  );
  if (!env.ok || !list.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>Change requests</h1>
        <ApiErrorPanel error={!env.ok ? env.error : (list as Extract<typeof list, { ok: false }>).error} />
      </main>
    );
  const items = [...list.data.items].sort((a, b) => Number(b.id) - Number(a.id));
  return (
    <main id="main">
      {crumbs}
      <h1>
        Change requests <span className="muted">in {env.data.name}</span>
      </h1>
      {env.data.requireApproval ? null : (
        <p className="notice">
          {env.data.name} does not require approval: changes here apply directly, and requests are rare.
        </p>
      )}
      <nav aria-label="Status" className="tabs">
        {STATUSES.map((st) => (
          <a key={st} href={`${base}/change-requests?status=${st}`} aria-current={st === status ? 'page' : undefined}>
            {LABEL[st]}
          </a>
        ))}
      </nav>
      {items.length === 0 ? (
        <p>No {status} change requests.</p>
      ) : (
        <table>
          <caption>
            {LABEL[status]} change requests of {env.data.name}
          </caption>
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">Kind</th>
              <th scope="col">Flag or segment</th>
              <th scope="col">Author</th>
              <th scope="col">Comment</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {items.map((cr) => {
              const s = subjectOf(cr);
              return (
                <tr key={String(cr.id)} data-request={String(cr.id)}>
                  <td>
                    <a href={`${base}/change-requests/${seg(String(cr.id))}`}>#{String(cr.id)}</a>
                  </td>
                  <td>
                    {cr.kind} <span className="muted">({actionOf(cr)})</span>
                  </td>
                  <td>
                    {s.kind} <code>{s.key}</code>
                  </td>
                  <td>{cr.author.owner}</td>
                  <td>{cr.comment || <span className="muted">—</span>}</td>
                  <td>
                    <time dateTime={cr.createdAt}>{cr.createdAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}</time>
                  </td>
                  <td>
                    <span className={BADGE[cr.status]}>{statusText(cr)}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </main>
  );
}
