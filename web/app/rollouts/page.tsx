/**
 * Every rollout the key can see, newest first, filtered by project, environment, flag and status
 * (a GET form: the URL is the state; "Older rollouts" keeps the filters).
 */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../components/api-error-panel.tsx';
import { RolloutTable } from '../../components/rollout/rollout-table.tsx';
import { callApi } from '../../lib/admin-api.ts';
import { ROLLOUT_STATUSES, type RolloutStatus, type RolloutView } from '../../lib/rollout-types.ts';
import { requireSession } from '../../lib/signed-in.ts';

export const metadata: Metadata = { title: 'Rollouts · Flagship' };

const FILTERS = ['project', 'environment', 'flag', 'status'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;

function query(f: Filters, cursor?: string): string {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (f[k]) q.set(k, f[k]);
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

export default async function RolloutsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireSession();
  const sp = await searchParams;
  const f: Filters = {};
  for (const k of FILTERS) {
    const v = one(sp[k]);
    if (v) f[k] = v;
  }
  const cursor = one(sp.cursor);
  const list = await callApi<{ items: RolloutView[]; nextCursor: string | null }>(
    `/rollouts?${query(f, cursor)}&limit=50`,
  );
  const filtered = FILTERS.some((k) => f[k] !== undefined);
  return (
    <main id="main">
      <h1>Rollouts</h1>
      <p className="hint">
        Start one from a flag&apos;s page in an environment (“Rollouts”). SREs:{' '}
        <a href="/rollouts/review">rollback review</a>.
      </p>
      <form method="get" action="/rollouts" className="row filters" aria-label="Filter rollouts">
        <label>
          Project <input name="project" defaultValue={f.project ?? ''} size={12} />
        </label>
        <label>
          Environment{' '}
          <input name="environment" defaultValue={f.environment ?? ''} placeholder="project.env" size={14} />
        </label>
        <label>
          Flag <input name="flag" defaultValue={f.flag ?? ''} size={14} />
        </label>
        <label>
          Status{' '}
          <select name="status" defaultValue={f.status ?? ''}>
            <option value="">any</option>
            {ROLLOUT_STATUSES.map((s: RolloutStatus) => (
              <option key={s} value={s}>
                {s.replace('-', ' ')}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        {filtered ? <a href="/rollouts">Clear</a> : null}
      </form>
      {!list.ok ? (
        <ApiErrorPanel error={list.error} />
      ) : (
        <>
          <p className="hint" role="status">
            {list.data.items.length === 0
              ? filtered
                ? 'No rollouts match these filters.'
                : 'No rollouts yet.'
              : `Newest first: ${list.data.items.length} rollout${list.data.items.length === 1 ? '' : 's'}${cursor ? ' (an older page)' : ''}.`}
          </p>
          {list.data.items.length > 0 ? <RolloutTable items={list.data.items} caption="Rollouts" /> : null}
          <nav aria-label="Pages of rollouts" className="row">
            {cursor ? <a href={`/rollouts?${query(f)}`}>Newest rollouts</a> : null}
            {list.data.nextCursor ? (
              <a href={`/rollouts?${query(f, list.data.nextCursor)}`} rel="next">
                Older rollouts
              </a>
            ) : null}
          </nav>
        </>
      )}
    </main>
  );
}
