/**
 * The flags of a project: search (key or description) and tag filter, 50 flags a page (keyset
 * cursor), one column per environment with on/off and what the flag serves there, and a form to
 * create a flag. One round of parallel reads: the project, its environments, the page of flags
 * with every environment's config (`include=environments`, one batched query on the controller)
 * and the active rollouts of the project. Nothing here grows with the project's size but the page.
 */
import type { Flag, FlagConfig } from '@flagship/evaluator';
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../components/api-error-panel.tsx';
import { hasRole, holdsEnvironment, unrestricted } from '../../../../lib/access.ts';
import { callApi, seg } from '../../../../lib/admin-api.ts';
import { requireSession } from '../../../../lib/signed-in.ts';
import { CreateFlagForm } from './create-flag-form.tsx';
import { ACTIVE_ROLLOUT_STATUSES, type RolloutBrief, summarize } from './flag-summary.ts';
import styles from './flags.module.css';
import type { EnvironmentView } from '../../../../lib/api-types.ts';

export const metadata: Metadata = { title: 'Flags · Flagship' };

const PAGE_SIZE = 50;

type FlagItem = Flag & {
  archived: boolean;
  version: number;
  environments: Record<string, { enabled: boolean; version: number; config: FlagConfig }>;
};

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** This page's URL with these parameters (empty ones left out). */
function pageUrl(project: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `/projects/${seg(project)}/flags${s ? `?${s}` : ''}`;
}

export default async function FlagsPage(props: {
  params: Promise<{ project: string }>;
  searchParams: Promise<Search>;
}) {
  const { who } = await requireSession();
  const project = decode((await props.params).project);
  const sp = await props.searchParams;
  const q = one(sp.q);
  const tag = one(sp.tag);
  const env = one(sp.env);
  const cursor = one(sp.cursor);
  const P = `/projects/${seg(project)}`;
  const list = new URLSearchParams({ include: 'environments', limit: String(PAGE_SIZE) });
  if (q) list.set('q', q);
  if (tag) list.set('tag', tag);
  if (cursor) list.set('cursor', cursor);
  const [proj, envs, flags, ...rollouts] = await Promise.all([
    callApi<{ key: string; name: string }>(P),
    callApi<{ items: EnvironmentView[] }>(`${P}/environments`),
    callApi<{ items: FlagItem[]; nextCursor: string | null }>(`${P}/flags?${list}`),
    ...ACTIVE_ROLLOUT_STATUSES.map((status) =>
      callApi<{ items: RolloutBrief[] }>(`/rollouts?project=${seg(project)}&status=${status}&limit=500`),
    ),
  ]);
  const title = proj.ok ? proj.data.name : project;
  const crumbs = (
    <nav aria-label="Breadcrumbs" className="breadcrumbs">
      <ol>
        <li>
          <a href="/projects">Projects</a>
        </li>
        <li>{title}</li>
        <li>
          <a href={pageUrl(project, {})} aria-current="page">
            Flags
          </a>
        </li>
      </ol>
    </nav>
  );
  const failed = [proj, envs, flags].find((r) => !r.ok);
  if (failed && !failed.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>Flags of {title}</h1>
        <ApiErrorPanel error={failed.error} />
      </main>
    );
  if (!envs.ok || !flags.ok) return null; // (narrowing only: handled above)

  // The key's environments, the one of `?env=` first.
  const visible = envs.data.items.filter((e) => holdsEnvironment(who, e.id));
  const selected = visible.find((e) => e.key === env);
  const columns = selected ? [selected, ...visible.filter((e) => e !== selected)] : visible;
  const active = new Map<string, RolloutBrief>();
  for (const r of rollouts) if (r.ok) for (const x of r.data.items) active.set(`${x.environment}\u0000${x.flag}`, x);
  const rolloutError = rollouts.find((r) => !r.ok);
  const canCreate = hasRole(who, 'editor') && unrestricted(who);
  const filtered = Boolean(q || tag);
  const items = flags.data.items;

  return (
    <main id="main">
      {crumbs}
      <h1>Flags of {title}</h1>
      <form method="get" action={pageUrl(project, {})} role="search" aria-label="Flags" className={styles.filters}>
        <div>
          <label htmlFor="flags-q">Search key or description</label>
          <input id="flags-q" name="q" type="search" defaultValue={q ?? ''} autoComplete="off" spellCheck={false} />
        </div>
        <div>
          <label htmlFor="flags-tag">Tag</label>
          <input id="flags-tag" name="tag" defaultValue={tag ?? ''} autoComplete="off" spellCheck={false} />
        </div>
        {env ? <input type="hidden" name="env" value={env} /> : null}
        <div>
          <button type="submit">Search</button>
        </div>
        {filtered ? <a href={pageUrl(project, { env })}>Clear filters</a> : null}
      </form>
      {rolloutError && !rolloutError.ok ? (
        <ApiErrorPanel error={rolloutError.error} title="Rollouts could not be read: rollouts are not shown" />
      ) : null}
      {visible.length === 0 ? <p className="notice">This project has no environments you can see yet.</p> : null}
      {items.length === 0 ? (
        <p className="notice">{filtered ? 'No flag matches these filters.' : 'This project has no flags yet.'}</p>
      ) : (
        <table>
          <caption>
            Flags{q ? ` matching “${q}”` : ''}
            {tag ? ` tagged ${tag}` : ''}
            {cursor ? ` after ${cursor}` : ''} ({items.length} shown)
          </caption>
          <thead>
            <tr>
              <th scope="col">Flag</th>
              <th scope="col">Description</th>
              <th scope="col">Tags</th>
              <th scope="col">Type</th>
              {columns.map((e) => (
                <th scope="col" key={e.key} className={e === selected ? styles.current : undefined}>
                  {e.name}
                  {e === selected ? <span className="visually-hidden"> (selected)</span> : null}
                  {e.requireApproval ? (
                    <>
                      {' '}
                      <span className="badge danger">approval</span>
                    </>
                  ) : null}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((f) => (
              <tr key={f.key} data-flag={f.key}>
                <th scope="row">
                  <code>{f.key}</code>
                </th>
                <td>{f.description ?? <span className="muted">—</span>}</td>
                <td>
                  <span className={styles.tags}>
                    {(f.tags ?? []).map((t) => (
                      <a key={t} className="badge" href={pageUrl(project, { tag: t, env })}>
                        {t}
                      </a>
                    ))}
                  </span>
                </td>
                <td>{f.type}</td>
                {columns.map((e) => {
                  const c = f.environments[e.key];
                  const href = `${P}/environments/${seg(e.key)}/flags/${seg(f.key)}`;
                  if (!c)
                    return (
                      <td key={e.key} className={e === selected ? styles.current : undefined}>
                        <a href={href} className="muted">
                          no config
                        </a>
                      </td>
                    );
                  return (
                    <td
                      key={e.key}
                      className={e === selected ? styles.current : undefined}
                      data-env={e.key}
                      data-testid={`cell-${f.key}-${e.key}`}
                    >
                      <a href={href} className={styles.cell}>
                        <span>
                          <span className={c.enabled ? 'badge on' : 'badge off'}>{c.enabled ? 'on' : 'off'}</span>
                        </span>
                        <span>{summarize(c.config, active.get(`${e.id}\u0000${f.key}`))}</span>
                      </a>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav aria-label="Pages" className={styles.paging}>
        {cursor ? <a href={pageUrl(project, { q, tag, env })}>First page</a> : null}
        {flags.data.nextCursor ? (
          <a rel="next" href={pageUrl(project, { q, tag, env, cursor: flags.data.nextCursor })}>
            Next page
          </a>
        ) : (
          <span className="muted">{items.length > 0 ? 'Last page' : ''}</span>
        )}
      </nav>
      <section className={styles.create}>
        <CreateFlagForm
          project={project}
          disabled={!canCreate}
          disabledReason={
            canCreate
              ? undefined
              : !hasRole(who, 'editor')
                ? `Creating flags needs the editor role; this key is a ${who.role}.`
                : 'Creating a flag affects every environment: it needs a key not limited to environments.'
          }
        />
      </section>
    </main>
  );
}
