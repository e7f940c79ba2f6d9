/**
 * A flag's impact in one environment: exposures per variant over time (what the evaluators
 * counted) and their shares, each metric definition per variant, and treatment - control with
 * its 95% interval, with the flag's audit entries and rollout steps as markers on every chart.
 * The URL holds the state (time range, metrics, arms); every chart has a table of its points.
 * Prometheus being unreachable is a message on this page, never a broken console.
 */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../../../components/api-error-panel.tsx';
import { TimeChart } from '../../../../../../../../components/chart/time-chart.tsx';
import { formatValue } from '../../../../../../../../components/chart/format.ts';
import { CopyButton } from '../../../../../../../../components/rollout/copy-button.tsx';
import { TimeRangePicker } from '../../../../../../../../components/time-range-picker.tsx';
import { callApi, seg } from '../../../../../../../../lib/admin-api.ts';
import type { EnvironmentView } from '../../../../../../../../lib/api-types.ts';
import {
  exposureCharts,
  exposureTotals,
  impactMarkers,
  metricCharts,
} from '../../../../../../../../lib/impact-series.ts';
import type { ImpactView, MetricDefinitionView } from '../../../../../../../../lib/impact-types.ts';
import { consolePrometheusUrl, prometheusGraphLink } from '../../../../../../../../lib/rollout-links.ts';
import { requireSession } from '../../../../../../../../lib/signed-in.ts';
import { readTimeRange } from '../../../../../../../../lib/time-range.ts';
import { FlagTabs } from '../../../../../../../../components/flag/flag-tabs.tsx';

export const metadata: Metadata = { title: 'Impact · Flagship' };

interface FlagRead {
  key: string;
  variants: Record<string, unknown>;
  trackExposures?: boolean;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const list = (v: string | string[] | undefined) =>
  (Array.isArray(v) ? v : v ? [v] : []).flatMap((x) => x.split(',')).filter((x) => x !== '');

export default async function FlagImpactPage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string; environment: string; flag: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireSession();
  const raw = await params;
  const sp = await searchParams;
  const project = decode(raw.project);
  const environment = decode(raw.environment);
  const flag = decode(raw.flag);
  const projectPath = `/projects/${seg(project)}`;
  const envPath = `${projectPath}/environments/${seg(environment)}`;
  const flagPath = `${envPath}/flags/${seg(flag)}`;
  const impactPath = `${flagPath}/impact`;

  const range = readTimeRange(sp);
  const chosen = list(sp.metrics);
  const treatment = one(sp.treatment) ?? '';
  const control = one(sp.control) ?? '';

  const [def, env, defs] = await Promise.all([
    callApi<FlagRead>(`${projectPath}/flags/${seg(flag)}`),
    callApi<EnvironmentView>(envPath),
    callApi<{ items: MetricDefinitionView[] }>(`${projectPath}/metrics`),
  ]);
  const offered = defs.ok ? defs.data.items.filter((d) => !d.flags?.length || d.flags.includes(flag)) : [];
  const impactQuery = new URLSearchParams();
  if (range.ok) {
    impactQuery.set('from', String(range.range.from));
    impactQuery.set('to', String(range.range.to));
    impactQuery.set('step', String(range.range.step));
  }
  // No choice yet: every metric offered for this flag (the API's own default too).
  if (chosen.length > 0) impactQuery.set('metrics', chosen.join(','));
  if (treatment) impactQuery.set('treatment', treatment);
  if (control) impactQuery.set('control', control);
  const impact = range.ok && def.ok ? await callApi<ImpactView>(`${impactPath}?${impactQuery}`) : undefined;

  // The page's other parameters, kept through a change of time range (and the range through the rest).
  const keep: Record<string, string> = {};
  if (chosen.length > 0) keep.metrics = chosen.join(',');
  if (treatment) keep.treatment = treatment;
  if (control) keep.control = control;
  const rangeKeep: Record<string, string> = {};
  for (const k of ['range', 'from', 'to'] as const) {
    const v = one(sp[k]);
    if (v) rangeKeep[k] = v;
  }

  const variants = def.ok ? Object.keys(def.data.variants) : [];
  const view = impact?.ok ? impact.data : undefined;
  const markers = view ? impactMarkers(view.markers) : [];
  const prometheus = consolePrometheusUrl();
  const totals = view ? exposureTotals(view) : [];
  const counted = totals.some((t) => t.count !== null);

  return (
    <main id="main">
      <nav aria-label="Breadcrumbs" className="breadcrumbs">
        <ol>
          <li>
            <a href="/projects">Projects</a>
          </li>
          <li>
            <a href={`${projectPath}/flags?env=${seg(environment)}`}>{project} flags</a>
          </li>
          <li>{environment}</li>
          <li>
            <a href={flagPath}>{flag}</a>
          </li>
          <li aria-current="page">Impact</li>
        </ol>
      </nav>
      <h1>
        Impact of <code>{flag}</code> <span className="muted">in {env.ok ? env.data.name : environment}</span>
      </h1>
      <FlagTabs flagPath={flagPath} current="impact" />
      {!def.ok ? <ApiErrorPanel error={def.error} /> : null}
      {!env.ok ? <ApiErrorPanel error={env.error} /> : null}

      <TimeRangePicker path={impactPath} range={range.ok ? range.range : undefined} keep={keep} />
      {!range.ok ? (
        <div role="alert" className="error-panel">
          <p>
            <strong>This time range cannot be shown.</strong> {range.field}: {range.message}.
          </p>
        </div>
      ) : null}

      <form method="get" action={impactPath} className="stack" aria-label="Metrics and arms">
        {Object.entries(rangeKeep).map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <fieldset>
          <legend>Metrics</legend>
          {!defs.ok ? <ApiErrorPanel error={defs.error} title="The metric definitions could not be read" /> : null}
          {defs.ok && offered.length === 0 ? (
            <p className="hint">
              No metric definition is offered for this flag: define one with <code>POST {projectPath}/metrics</code>{' '}
              (see docs/api.md), or start a rollout whose policy has metrics.
            </p>
          ) : null}
          {offered.map((d) => (
            <label key={d.key} className="row">
              <input
                type="checkbox"
                name="metrics"
                value={d.key}
                defaultChecked={chosen.length === 0 || chosen.includes(d.key)}
              />
              {d.name}{' '}
              <span className="muted">
                ({d.kind}, {d.better} is better{d.source !== 'project' ? `, ${d.source}` : ''})
              </span>
            </label>
          ))}
        </fieldset>
        <div className="row">
          <label>
            Treatment{' '}
            <select name="treatment" defaultValue={treatment || view?.treatment || ''}>
              <option value="">(the rollout's, or the first variant)</option>
              {variants.map((v) => (
                <option key={v}>{v}</option>
              ))}
            </select>
          </label>
          <label>
            Control{' '}
            <select name="control" defaultValue={control || view?.control || ''}>
              <option value="">(the rollout's, or the second variant)</option>
              {variants.map((v) => (
                <option key={v}>{v}</option>
              ))}
            </select>
          </label>
          <button type="submit">Show</button>
        </div>
      </form>

      {impact && !impact.ok ? (
        <ApiErrorPanel
          error={impact.error}
          title={
            impact.error.code.startsWith('PROMETHEUS')
              ? 'Prometheus did not answer: no impact data can be shown'
              : 'The impact could not be read'
          }
        />
      ) : null}

      {view ? (
        <>
          <h2>Exposures</h2>
          <p className="hint">
            What the evaluators counted, per {view.step} s, from {new Date(view.from * 1000).toISOString()} to{' '}
            {new Date(view.to * 1000).toISOString()}.{' '}
            {def.ok && def.data.trackExposures
              ? 'This flag is always counted per variant (trackExposures).'
              : 'Evaluators count a flag per variant while it has an active rollout, a metric definition names it, or its definition sets trackExposures.'}
          </p>
          <table data-testid="exposure-totals">
            <caption>Exposures per variant over the whole range</caption>
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col">Exposures</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              {totals.map((t) => (
                <tr key={t.variant} data-variant={t.variant}>
                  <th scope="row">{t.variant}</th>
                  <td data-count={t.count ?? ''}>
                    {t.count === null ? 'no data' : Math.round(t.count).toLocaleString('en')}
                  </td>
                  <td>{formatValue(t.share, 'percent')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!counted ? <p className="hint">No exposures were counted in this range.</p> : null}
          <p className="muted">
            PromQL: <code data-testid="exposure-query">{view.exposureQuery}</code>{' '}
            <CopyButton text={view.exposureQuery} label="Copy the exposure query" />
            {prometheus ? (
              <>
                {' '}
                <a href={prometheusGraphLink(prometheus, view.exposureQuery)}>open in Prometheus</a>
              </>
            ) : null}
          </p>
          {exposureCharts(view).map((c) => (
            <TimeChart
              key={c.key}
              testId={`chart-${c.key}`}
              title={c.title}
              xs={c.xs}
              series={c.series}
              markers={markers}
              unit={c.unit}
            />
          ))}

          <h2>Metrics</h2>
          {view.metrics.length === 0 ? <p className="hint">No metric chosen.</p> : null}
          {view.metrics
            .filter((m) => m.error)
            .map((m) => (
              <div role="alert" className="error-panel" key={m.key}>
                <p>
                  <strong>Prometheus refused the queries of {m.name}.</strong> {m.error}
                </p>
              </div>
            ))}
          {metricCharts(view).map((c) => (
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
          {view.metrics.length > 0 ? (
            <details>
              <summary>The PromQL of each metric, per variant</summary>
              <ul>
                {view.metrics.flatMap((m) =>
                  Object.entries(m.queries).flatMap(([variant, fields]) =>
                    Object.entries(fields).map(([field, q]) => (
                      <li key={`${m.key}-${variant}-${field}`}>
                        {m.name}, {variant}, {field}: <code>{q}</code>{' '}
                        {prometheus ? <a href={prometheusGraphLink(prometheus, q)}>open in Prometheus</a> : null}
                      </li>
                    )),
                  ),
                )}
              </ul>
            </details>
          ) : null}
        </>
      ) : null}
    </main>
  );
}
