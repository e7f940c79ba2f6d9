/**
 * A flag's history in one environment: the audit entries naming the flag and the environment
 * (config edits, kills, imports, applied change requests), newest first, 50 a page,
 * each with who, when, why and only what changed.
 */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../../../components/api-error-panel.tsx';
import { type AuditPage, AuditEntries } from '../../../../../../../../components/audit/audit-entry.tsx';
import { callApi, seg } from '../../../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../../../lib/signed-in.ts';
import { FlagTabs } from '../../../../../../../../components/flag/flag-tabs.tsx';

export const metadata: Metadata = { title: 'History · Flagship' };

const PAGE_SIZE = 50;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function FlagHistoryPage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string; environment: string; flag: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireSession();
  const raw = await params;
  const project = decode(raw.project);
  const environment = decode(raw.environment);
  const flag = decode(raw.flag);
  const cursor = one((await searchParams).cursor);
  const environmentId = `${project}.${environment}`;
  const flagPath = `/projects/${seg(project)}/environments/${seg(environment)}/flags/${seg(flag)}`;
  const historyPath = `${flagPath}/history`;

  const query = new URLSearchParams({ project, flag, environment: environmentId, limit: String(PAGE_SIZE) });
  if (cursor) query.set('cursor', cursor);
  const audit = await callApi<AuditPage>(`/audit?${query}`);

  return (
    <main id="main">
      <nav aria-label="Breadcrumbs" className="breadcrumbs">
        <ol>
          <li>
            <a href="/projects">Projects</a>
          </li>
          <li>
            <a href={`/projects/${seg(project)}/flags?env=${seg(environment)}`}>{project} flags</a>
          </li>
          <li>{environment}</li>
          <li>
            <a href={flagPath}>{flag}</a>
          </li>
          <li aria-current="page">History</li>
        </ol>
      </nav>
      <h1>
        History of <code>{flag}</code> <span className="muted">in {environmentId}</span>
      </h1>
      <FlagTabs flagPath={flagPath} current="history" />
      {!audit.ok ? (
        <ApiErrorPanel error={audit.error} />
      ) : (
        <>
          <p className="hint">
            Newest first, {PAGE_SIZE} a page. The whole log, with filters:{' '}
            <a href={`/audit?${new URLSearchParams({ project, environment: environmentId, flag })}`}>audit log</a>.
          </p>
          <AuditEntries items={audit.data.items} links={false} />
          <nav aria-label="Pages of the history" className="row">
            {cursor ? <a href={historyPath}>Newest entries</a> : null}
            {audit.data.nextCursor ? (
              <a href={`${historyPath}?cursor=${seg(audit.data.nextCursor)}`} rel="next">
                Older entries
              </a>
            ) : null}
          </nav>
        </>
      )}
    </main>
  );
}
