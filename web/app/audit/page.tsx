/**
 * The audit log: every change, newest first, 50 a page, filtered by project, environment, flag,
 * actor, action and time range (a GET form: the URL is the state, and "Older entries" keeps the
 * filters). Each entry says who, what, when and why, and shows only what changed.
 */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../components/api-error-panel.tsx';
import { type AuditPage, AuditEntries } from '../../components/audit/audit-entry.tsx';
import { isAdmin } from '../../lib/access.ts';
import { callApi, seg } from '../../lib/admin-api.ts';
import { requireSession } from '../../lib/signed-in.ts';
import { AuditFiltersForm, type FilterOptions, type KeyOption } from './audit-filters.tsx';
import { apiQuery, FILTER_NAMES, pageHref, readCursor, readFilters } from './filters.ts';
import type { ProjectView } from '../../lib/api-types.ts';

export const metadata: Metadata = { title: 'Audit log · Flagship' };

interface ApiKey {
  id: string;
  name: string;
  owner: string;
  role: string;
  revokedAt: string | null;
}

export default async function AuditLogPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { who } = await requireSession();
  const sp = await searchParams;
  const filters = readFilters(sp);
  const cursor = readCursor(sp);
  const admin = isAdmin(who);

  const [audit, projects, keys] = await Promise.all([
    callApi<AuditPage>(`/audit?${apiQuery(filters, cursor)}`),
    callApi<{ items: ProjectView[] }>('/projects'),
    admin ? callApi<{ items: ApiKey[] }>('/api-keys') : Promise.resolve(undefined),
  ]);
  const envLists = projects.ok
    ? await Promise.all(
        projects.data.items.map((p) =>
          callApi<{ items: Array<{ id: string }> }>(`/projects/${seg(p.key)}/environments`),
        ),
      )
    : [];
  const listed = envLists.flatMap((r) => (r.ok ? r.data.items.map((e) => e.id) : []));
  const environments =
    who.environments === null
      ? listed
      : [...new Set([...who.environments, ...listed])].filter((e) => who.environments!.includes(e));
  const keyOptions: KeyOption[] | null =
    keys && keys.ok
      ? keys.data.items
          .filter((k) => k.role !== 'sdk' && k.role !== 'client')
          .map((k) => ({ id: k.id, name: k.name, owner: k.owner, revoked: k.revokedAt !== null }))
      : null;
  const options: FilterOptions = {
    projects: projects.ok ? projects.data.items : null,
    environments,
    environmentRequired: who.environments !== null,
    keys: keyOptions,
  };
  const filtered = FILTER_NAMES.some((n) => filters[n] !== undefined);

  return (
    <main id="main">
      <h1>Audit log</h1>
      <AuditFiltersForm filters={filters} options={options} />
      {!projects.ok ? <ApiErrorPanel error={projects.error} title="The projects could not be listed" /> : null}
      {keys && !keys.ok ? <ApiErrorPanel error={keys.error} title="The API keys could not be listed" /> : null}
      <section aria-labelledby="audit-results">
        <h2 id="audit-results" className="visually-hidden">
          Entries
        </h2>
        {!audit.ok ? (
          <ApiErrorPanel error={audit.error} />
        ) : (
          <>
            <p className="hint" role="status">
              {audit.data.items.length === 0
                ? filtered
                  ? 'No entries match these filters.'
                  : 'No entries yet.'
                : `Newest first: ${audit.data.items.length} entr${audit.data.items.length === 1 ? 'y' : 'ies'}${cursor ? ' (an older page)' : ''}.`}
            </p>
            {audit.data.items.length > 0 ? <AuditEntries items={audit.data.items} /> : null}
            <nav aria-label="Pages of the audit log" className="row">
              {cursor ? <a href={pageHref(filters)}>Newest entries</a> : null}
              {audit.data.nextCursor ? (
                <a href={pageHref(filters, audit.data.nextCursor)} rel="next">
                  Older entries
                </a>
              ) : null}
            </nav>
          </>
        )}
      </section>
    </main>
  );
}
