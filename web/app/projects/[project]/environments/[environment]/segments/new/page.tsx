import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../../components/api-error-panel.tsx';
import { canEdit } from '../../../../../../../lib/access.ts';
import { seg } from '../../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../../lib/signed-in.ts';
import { Breadcrumbs, envPath, loadEnvironment } from '../page-support.tsx';
import { SegmentForm } from '../segment-form.tsx';
import { draftOf } from '../segment-form-model.ts';

export const metadata: Metadata = { title: 'New segment · Flagship' };

export default async function NewSegmentPage({
  params,
}: {
  params: Promise<{ project: string; environment: string }>;
}) {
  const { who } = await requireSession();
  const { project, environment } = await params;
  const base = envPath(project, environment);
  const env = await loadEnvironment(project, environment);
  const crumbs = (
    <Breadcrumbs
      items={[
        { label: 'Projects', href: '/projects' },
        { label: project, href: `/projects/${seg(project)}/flags?env=${seg(environment)}` },
        { label: 'Segments', href: `${base}/segments` },
        { label: 'New' },
      ]}
    />
  );
  if (!env.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>New segment</h1>
        <ApiErrorPanel error={env.error} />
      </main>
    );
  const editable = canEdit(who, env.data.id);
  return (
    <main id="main">
      {crumbs}
      <h1>
        New segment <span className="muted">in {env.data.name}</span>
      </h1>
      <SegmentForm
        project={project}
        environment={environment}
        version={0}
        initial={draftOf(undefined)}
        approval={env.data.requireApproval}
        disabled={!editable}
        disabledReason={editable ? undefined : `Your key (${who.role}) cannot create segments in ${env.data.id}.`}
        reloadHref={`${base}/segments/new`}
      />
    </main>
  );
}
