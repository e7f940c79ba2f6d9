import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../components/api-error-panel.tsx';
import { canEdit, unrestricted } from '../../../../../../lib/access.ts';
import { callApi, seg } from '../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../lib/signed-in.ts';
import { ImportForm } from './import-form.tsx';
import type { EnvironmentView } from '../../../../../../lib/api-types.ts';

export const metadata: Metadata = { title: 'Flags as code · Flagship' };

export default async function FlagsAsCodePage({
  params,
}: {
  params: Promise<{ project: string; environment: string }>;
}) {
  const { who } = await requireSession();
  const { project, environment } = await params;
  const base = `/projects/${seg(project)}/environments/${seg(environment)}`;
  const env = await callApi<EnvironmentView>(base);
  const crumbs = (
    <nav aria-label="Breadcrumbs" className="breadcrumbs">
      <ol>
        <li>
          <a href="/projects">Projects</a>
        </li>
        <li>
          <a href={`/projects/${seg(project)}/flags?env=${seg(environment)}`}>{project}</a>
        </li>
        <li>{env.ok ? env.data.name : environment}</li>
        <li>
          <span aria-current="page">Flags as code</span>
        </li>
      </ol>
    </nav>
  );
  if (!env.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>Flags as code</h1>
        <ApiErrorPanel error={env.error} />
      </main>
    );
  const exportHref = (format: string) => `${base}/flags-as-code/export?format=${format}`;
  return (
    <main id="main">
      {crumbs}
      <h1>
        Flags as code <span className="muted">in {env.data.name}</span>
      </h1>
      {env.data.requireApproval ? (
        <p className="notice">
          <span className="badge danger">changes need approval</span> An import that changes {env.data.name} is refused
          without an approved change request; a dry run still shows what it would change and what it needs.
        </p>
      ) : null}
      <section aria-labelledby="export-heading">
        <h2 id="export-heading">Export</h2>
        <p className="hint">
          The whole environment ({env.data.id}): every flag that is not archived, with its definition and this
          environment&apos;s config, and the environment&apos;s segments.
        </p>
        <p className="row">
          <a href={exportHref('yaml')} download={`${project}.${environment}.flags.yaml`}>
            Download YAML
          </a>
          <a href={exportHref('json')} download={`${project}.${environment}.flags.json`}>
            Download JSON
          </a>
        </p>
      </section>
      <ImportForm
        project={project}
        environment={environment}
        environmentName={env.data.name}
        editable={canEdit(who, env.data.id)}
        unrestricted={unrestricted(who)}
        requireApproval={env.data.requireApproval}
      />
    </main>
  );
}
