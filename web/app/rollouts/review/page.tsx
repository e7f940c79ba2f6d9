/**
 * The rollback review for SREs: every rolled-back or paused rollout whose last change falls in a
 * time range, across projects, with its one-sentence reason (from the stored evidence), the first
 * failing metric, and how long it took from the first failure to the revert (or the pause).
 */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../components/api-error-panel.tsx';
import { StatusChip, when } from '../../../components/rollout/rollout-table.tsx';
import { callApi, seg } from '../../../lib/admin-api.ts';
import type { RolloutDetail, RolloutView } from '../../../lib/rollout-types.ts';
import { duration, rollbackFacts, verdictSentence } from '../../../lib/rollout-verdict.ts';
import { requireSession } from '../../../lib/signed-in.ts';

export const metadata: Metadata = { title: 'Rollback review · Flagship' };

/** The review reads each listed rollout's evidence: bounded, newest first. */
const MAX_ROLLOUTS = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;

export default async function RollbackReviewPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireSession();
  const sp = await searchParams;
  const from = one(sp.from) ?? new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  const to = one(sp.to);
  const problem = !DAY.test(from)
    ? 'from: expected a date (YYYY-MM-DD)'
    : to !== undefined && !DAY.test(to)
      ? 'to: expected a date (YYYY-MM-DD)'
      : undefined;
  // `to` is a whole day: up to the end of it.
  const toTime = to ? new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString() : undefined;
  const list = problem
    ? undefined
    : await callApi<{ items: RolloutView[]; nextCursor: string | null }>(
        `/rollouts?status=rolled-back,paused&from=${seg(`${from}T00:00:00Z`)}${toTime ? `&to=${seg(toTime)}` : ''}&limit=${MAX_ROLLOUTS}`,
      );
  const details = list?.ok
    ? await Promise.all(list.data.items.map((r) => callApi<RolloutDetail>(`/rollouts/${r.id}`)))
    : [];
  return (
    <main id="main" className="wide">
      <h1>Rollback review</h1>
      <p className="hint">
        Rolled-back and paused rollouts, across projects, by the time of their last change (UTC days).
      </p>
      <form method="get" action="/rollouts/review" className="row filters" aria-label="Time range">
        <label>
          From <input type="date" name="from" defaultValue={from} />
        </label>
        <label>
          To <input type="date" name="to" defaultValue={to ?? ''} />
        </label>
        <button type="submit">Show</button>
      </form>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {list && !list.ok ? <ApiErrorPanel error={list.error} /> : null}
      {list?.ok ? (
        <>
          <p className="hint" role="status">
            {list.data.items.length === 0
              ? 'No rolled-back or paused rollout in this range.'
              : `${list.data.items.length} rollout${list.data.items.length === 1 ? '' : 's'}, newest first${list.data.nextCursor ? ` (the newest ${MAX_ROLLOUTS}; narrow the range for older ones)` : ''}.`}
          </p>
          {list.data.items.length > 0 ? (
            <table data-testid="review-table">
              <caption>Rolled-back and paused rollouts</caption>
              <thead>
                <tr>
                  <th scope="col">Rollout</th>
                  <th scope="col">Status</th>
                  <th scope="col">Flag and environment</th>
                  <th scope="col">Reason</th>
                  <th scope="col">First failing metric</th>
                  <th scope="col">First failure to revert</th>
                  <th scope="col">Ended</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((r, i) => {
                  const d = details[i]!;
                  const facts = d.ok ? rollbackFacts(d.data) : undefined;
                  return (
                    <tr key={r.id} data-rollout-id={r.id}>
                      <td>
                        <a href={`/rollouts/${r.id}`}>#{r.id}</a>
                      </td>
                      <td>
                        <StatusChip r={r} />
                      </td>
                      <td>
                        {r.flag} <span className="muted">in</span> {r.environment}
                      </td>
                      <td data-col="reason">{d.ok ? verdictSentence(d.data) : <ApiErrorPanel error={d.error} />}</td>
                      <td data-col="first-failure">
                        {facts?.firstFailure ? (
                          <>
                            {facts.firstFailure.metric}{' '}
                            <span className="muted">
                              (tick {facts.firstFailure.seq},{' '}
                              <time dateTime={facts.firstFailure.at}>{when(facts.firstFailure.at)}</time>)
                            </span>
                          </>
                        ) : (
                          <span className="muted">no failing metric</span>
                        )}
                      </td>
                      <td data-col="time-to-revert">
                        {facts?.firstFailureToEndMs !== undefined ? duration(facts.firstFailureToEndMs) : '—'}
                      </td>
                      <td>{facts?.endedAt ? <time dateTime={facts.endedAt}>{when(facts.endedAt)}</time> : '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ) : null}
        </>
      ) : null}
    </main>
  );
}
