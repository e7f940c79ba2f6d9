/**
 * One rollout: its verdict in one sentence from the stored evidence, the commands that apply in
 * its state, charts of the weight and of every metric per arm (with a table of the same points),
 * every tick's evidence (optionally only the ticks that did not pass), and the timeline.
 */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../components/api-error-panel.tsx';
import { TimeChart } from '../../../components/chart/time-chart.tsx';
import { type Command, RolloutCommands } from '../../../components/rollout/rollout-commands.tsx';
import { StatusChip, when } from '../../../components/rollout/rollout-table.tsx';
import { TickTable, tickPassed } from '../../../components/rollout/tick-table.tsx';
import { canApprove, canEdit } from '../../../lib/access.ts';
import { callApi, seg } from '../../../lib/admin-api.ts';
import { consolePrometheusUrl } from '../../../lib/rollout-links.ts';
import { metricCharts, rolloutMarkers, weightChart } from '../../../lib/rollout-series.ts';
import type { RolloutDetail } from '../../../lib/rollout-types.ts';
import { verdictSentence } from '../../../lib/rollout-verdict.ts';
import { requireSession } from '../../../lib/signed-in.ts';

export const metadata: Metadata = { title: 'Rollout · Flagship' };

// Each row carries every query (copyable), value and verdict of its tick: 25 keep a 1,000-tick
// page light (bench:console: 50 rows made half of its 770 KiB and of its render time).
const TICKS_PER_PAGE = 25;

export default async function RolloutPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { who } = await requireSession();
  const { id } = await params;
  const sp = await searchParams;
  const onlyFailed = sp.ticks === 'failed';
  const page = Math.max(1, Math.min(1_000, Number(sp.page) || 1));
  const found = /^\d{1,15}$/.test(id)
    ? await callApi<RolloutDetail>(`/rollouts/${seg(id)}`)
    : ({
        ok: false,
        status: 400,
        error: { status: 400, code: 'INVALID_PARAMETER', message: `id: “${id}” is not a rollout number`, details: {} },
      } as const);
  if (!found.ok)
    return (
      <main id="main">
        <h1>Rollout {id}</h1>
        <ApiErrorPanel error={found.error} />
      </main>
    );
  const r = found.data;
  const envKey = r.environment.slice(r.project.length + 1);
  const flagRollouts = `/projects/${seg(r.project)}/environments/${seg(envKey)}/flags/${seg(r.flag)}/rollouts`;
  const step = r.policyDocument.steps[r.step - 1];
  const editBlocked = canEdit(who, r.environment)
    ? undefined
    : `your role (${who.role}) cannot change rollouts in ${r.environment}`;
  const blocked: Partial<Record<Command, string>> = {
    pause: editBlocked,
    resume: editBlocked,
    abort: editBlocked,
    retry: editBlocked,
    approve: !canApprove(who, r.environment)
      ? `your role (${who.role}) cannot approve in ${r.environment}: an approver must`
      : !step?.approval
        ? `step ${r.step} has no approval gate`
        : r.approvedStep === r.step
          ? `step ${r.step} is already approved`
          : undefined,
  };
  const markers = rolloutMarkers(r);
  const charts = [weightChart(r), ...metricCharts(r)];
  const shown = onlyFailed ? r.ticks.filter((t) => !tickPassed(t)) : r.ticks;
  const pages = Math.max(1, Math.ceil(shown.length / TICKS_PER_PAGE));
  const pageTicks = shown.slice((page - 1) * TICKS_PER_PAGE, page * TICKS_PER_PAGE);
  const href = (o: { failed?: boolean; page?: number }) => {
    const q = new URLSearchParams();
    if (o.failed) q.set('ticks', 'failed');
    if (o.page && o.page > 1) q.set('page', String(o.page));
    const s = q.toString();
    return `/rollouts/${r.id}${s ? `?${s}` : ''}#ticks`;
  };

  return (
    <main id="main" className="wide">
      <nav aria-label="Breadcrumbs" className="breadcrumbs">
        <ol>
          <li>
            <a href="/rollouts">Rollouts</a>
          </li>
          <li>
            <a href={flagRollouts}>
              {r.flag} in {r.environment}
            </a>
          </li>
          <li>
            <span aria-current="page">#{r.id}</span>
          </li>
        </ol>
      </nav>
      <h1>
        Rollout #{r.id} of {r.flag} <span className="muted">in {r.environment}</span>
      </h1>
      <p className="verdict" data-testid="verdict">
        {verdictSentence(r)}
      </p>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusChip r={r} /> step {r.step} of {r.steps}
          </dd>
        </div>
        <div>
          <dt>Policy</dt>
          <dd>{r.policy}</dd>
        </div>
        <div>
          <dt>Treatment / control</dt>
          <dd>
            {r.treatment} / {r.control}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <time dateTime={r.createdAt}>{when(r.createdAt)}</time> by {r.createdBy}
          </dd>
        </div>
      </dl>
      <h2>Commands</h2>
      <RolloutCommands id={r.id} version={r.version} status={r.status} blocked={blocked} />

      <h2>Charts</h2>
      {r.ticks.length === 0 ? <p className="hint">No tick yet: the metric charts fill in as ticks run.</p> : null}
      {charts.map((c) => (
        <TimeChart
          key={c.key}
          testId={`chart-${c.key}`}
          title={c.title}
          xs={c.xs}
          series={c.series}
          {...(c.band ? { band: c.band } : {})}
          markers={markers}
          unit={c.unit}
        />
      ))}

      <h2 id="ticks">Ticks</h2>
      <nav aria-label="Which ticks" className="row">
        {onlyFailed ? (
          <a href={href({})}>All ticks ({r.ticks.length})</a>
        ) : (
          <a href={href({ failed: true })} data-testid="only-failed">
            Only ticks that did not pass
          </a>
        )}
        <span className="muted" role="status">
          {onlyFailed
            ? `${shown.length} of ${r.ticks.length} ticks did not pass`
            : `${r.ticks.length} tick${r.ticks.length === 1 ? '' : 's'}`}
          {pages > 1 ? `, page ${page} of ${pages}` : ''}
        </span>
        {page > 1 ? <a href={href({ failed: onlyFailed, page: page - 1 })}>Newer ticks</a> : null}
        {page < pages ? (
          <a href={href({ failed: onlyFailed, page: page + 1 })} rel="next">
            Older ticks
          </a>
        ) : null}
      </nav>
      <TickTable ticks={pageTicks} prometheus={consolePrometheusUrl()} />

      <h2>Timeline</h2>
      <ol className="timeline" data-testid="timeline">
        {r.timeline.map((e, i) => (
          <li key={i} data-kind={e.kind}>
            <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.kind}</strong> at step {e.stepIndex + 1} (
            {e.weightUnits / 1000}%) by {e.actor}
            {e.reason ? <>: {e.reason}</> : null}
          </li>
        ))}
      </ol>
    </main>
  );
}
