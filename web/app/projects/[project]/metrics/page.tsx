/**
 * A project's metric definitions (what the impact pages measure flags by), then the ramp
 * policies' metrics, which are read-only here: they change with the policy files.
 */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../components/api-error-panel.tsx';
import { callApi, seg } from '../../../../lib/admin-api.ts';
import { requireSession } from '../../../../lib/signed-in.ts';
import { metricWriteRefusal } from './metric-access.ts';
import { flagsText, type MetricView } from './metric-form-model.ts';
import { decodeParam, MetricCrumbs, metricsPath } from './page-support.tsx';

export const metadata: Metadata = { title: 'Metrics · Flagship' };

export default async function MetricsPage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { who } = await requireSession();
  const project = decodeParam((await params).project);
  const deleted = (await searchParams).deleted;
  const base = metricsPath(project);
  const list = await callApi<{ items: MetricView[] }>(base);
  const crumbs = <MetricCrumbs project={project} />;
  if (!list.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>Metrics</h1>
        <ApiErrorPanel error={list.error} />
      </main>
    );
  const refusal = metricWriteRefusal(who);
  const items = list.data.items;
  return (
    <main id="main">
      {crumbs}
      <h1>
        Metrics <span className="muted">of {project}</span>
      </h1>
      <p className="hint">
        What the flags&apos; impact pages measure them by: PromQL queried once per variant. The ramp policies&apos;
        metrics are listed too, read-only.
      </p>
      {typeof deleted === 'string' ? (
        <p role="status" className="ok">
          Metric {deleted} deleted.
        </p>
      ) : null}
      <p className="row">
        {refusal === undefined ? <a href={`${base}/new`}>New metric</a> : <span className="muted">{refusal}</span>}
      </p>
      {items.length === 0 ? (
        <p>No metric definitions in this project yet.</p>
      ) : (
        <table>
          <caption>Metric definitions of {project}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Kind</th>
              <th scope="col">Better</th>
              <th scope="col">Unit</th>
              <th scope="col">Flags</th>
              <th scope="col">Source</th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.key} data-metric={m.key}>
                <td>
                  <a href={`${base}/${seg(m.key)}`}>{m.name}</a>
                </td>
                <td>
                  <code>{m.key}</code>
                </td>
                <td data-col="kind">{m.kind}</td>
                <td data-col="better">{m.better}</td>
                <td data-col="unit">{m.unit ?? <span className="muted">—</span>}</td>
                <td data-col="flags">{flagsText(m.flags)}</td>
                <td data-col="source">
                  {m.source}
                  {m.readOnly ? (
                    <>
                      {' '}
                      <span className="badge">read-only</span>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
