import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../components/api-error-panel.tsx';
import { callApi, seg } from '../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../lib/signed-in.ts';
import { MetricForm } from '../metric-form.tsx';
import { metricWriteRefusal } from '../metric-access.ts';
import { draftOf } from '../metric-form-model.ts';
import { decodeParam, MetricCrumbs, metricsPath } from '../page-support.tsx';

export const metadata: Metadata = { title: 'New metric · Flagship' };

export default async function NewMetricPage({ params }: { params: Promise<{ project: string }> }) {
  const { who } = await requireSession();
  const project = decodeParam((await params).project);
  // The project must exist before a form is offered for it.
  const found = await callApi<{ key: string }>(`/projects/${seg(project)}`);
  if (!found.ok)
    return (
      <main id="main">
        <MetricCrumbs project={project} here="New" />
        <h1>New metric</h1>
        <ApiErrorPanel error={found.error} />
      </main>
    );
  const refusal = metricWriteRefusal(who);
  return (
    <main id="main">
      <MetricCrumbs project={project} here="New" />
      <h1>
        New metric <span className="muted">in {project}</span>
      </h1>
      <MetricForm
        project={project}
        version={0}
        initial={draftOf(undefined)}
        disabled={refusal !== undefined}
        disabledReason={refusal}
        reloadHref={`${metricsPath(project)}/new`}
      />
    </main>
  );
}
