/**
 * One metric definition: the editor (disabled, with the reason, for keys that cannot write) and
 * delete behind a dialog; a ramp policy's metric is shown read-only, as its policy file says.
 */
import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { ApiErrorPanel } from '../../../../../components/api-error-panel.tsx';
import { ConfirmDialog } from '../../../../../components/confirm-dialog.tsx';
import { callApi, seg } from '../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../lib/signed-in.ts';
import { deleteMetric } from '../actions.ts';
import { metricWriteRefusal } from '../metric-access.ts';
import { MetricForm } from '../metric-form.tsx';
import { draftOf, flagsText, type MetricView } from '../metric-form-model.ts';
import styles from '../metrics.module.css';
import { decodeParam, MetricCrumbs, metricsPath } from '../page-support.tsx';

export const metadata: Metadata = { title: 'Metric · Flagship' };

export default async function MetricPage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string; metric: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { who } = await requireSession();
  const raw = await params;
  const project = decodeParam(raw.project);
  const key = decodeParam(raw.metric);
  const saved = (await searchParams).saved;
  const base = metricsPath(project);
  const found = await callApi<MetricView>(`${base}/${seg(key)}`);
  const crumbs = <MetricCrumbs project={project} here={key} />;
  if (!found.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>Metric {key}</h1>
        <ApiErrorPanel error={found.error} />
      </main>
    );
  const m = found.data;
  if (m.readOnly || m.version === undefined) return <PolicyMetric metric={m} crumbs={crumbs} />;
  const refusal = metricWriteRefusal(who);
  return (
    <main id="main">
      {crumbs}
      <h1>
        Metric {m.name} <span className="muted">({m.key})</span>
      </h1>
      <p className="muted" data-testid="metric-version">
        Version {m.version}
      </p>
      {typeof saved === 'string' ? (
        <p role="status" className="ok">
          Saved: version {saved}.
        </p>
      ) : null}
      <h2>Edit</h2>
      <MetricForm
        key={m.version}
        project={project}
        metricKey={m.key}
        version={m.version}
        initial={draftOf(m)}
        disabled={refusal !== undefined}
        disabledReason={refusal}
        reloadHref={`${base}/${seg(m.key)}`}
      />
      <h2>Delete</h2>
      <ConfirmDialog
        triggerLabel="Delete metric"
        title={`Delete metric ${m.key}?`}
        description={`Impact pages stop offering ${m.name}${m.flags?.length ? ', and the evaluators stop counting exposures of the flags it names (unless something else asks for them)' : ''}. The audit log keeps the definition.`}
        confirmLabel="Delete"
        action={deleteMetric}
        hidden={{ project, metric: m.key }}
        disabled={refusal !== undefined}
        disabledReason={refusal}
      />
    </main>
  );
}

/** A ramp policy's metric: what it measures, no controls (the API refuses changes: METRIC_READ_ONLY). */
function PolicyMetric({ metric: m, crumbs }: { metric: MetricView; crumbs: ReactNode }) {
  const policy = m.source.startsWith('policy:') ? m.source.slice('policy:'.length) : m.source;
  const templates: Array<[string, string | undefined]> =
    m.kind === 'ratio'
      ? [
          ['Numerator', m.numerator],
          ['Denominator', m.denominator],
        ]
      : [['Query', m.query]];
  return (
    <main id="main">
      {crumbs}
      <h1>
        Metric {m.name} <span className="badge">read-only</span>
      </h1>
      <p className="notice" data-testid="metric-read-only">
        This metric comes from ramp policy {policy} (source {m.source}): change the policy file to change it.
      </p>
      {m.description ? <p>{m.description}</p> : null}
      <dl className="facts">
        <div>
          <dt>Key</dt>
          <dd>
            <code>{m.key}</code>
          </dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{m.kind}</dd>
        </div>
        <div>
          <dt>Better</dt>
          <dd>{m.better}</dd>
        </div>
        <div>
          <dt>Unit</dt>
          <dd>{m.unit ?? '—'}</dd>
        </div>
        <div>
          <dt>Flags</dt>
          <dd>{flagsText(m.flags)}</dd>
        </div>
      </dl>
      {templates.map(([label, t]) => (
        <section key={label} aria-label={label}>
          <h2>{label}</h2>
          <pre className={styles.template}>{t ?? ''}</pre>
        </section>
      ))}
    </main>
  );
}
