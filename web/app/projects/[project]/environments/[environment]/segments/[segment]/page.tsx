import type { Segment } from '@flagship/evaluator';
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../../components/api-error-panel.tsx';
import { ConfirmDialog } from '../../../../../../../components/confirm-dialog.tsx';
import { canEdit } from '../../../../../../../lib/access.ts';
import { callApi, seg } from '../../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../../lib/signed-in.ts';
import { deleteSegment } from '../actions.ts';
import { Breadcrumbs, envPath, flagEditorPath, loadEnvironment } from '../page-support.tsx';
import styles from '../pages.module.css';
import { SegmentForm } from '../segment-form.tsx';
import { draftOf } from '../segment-form-model.ts';

export const metadata: Metadata = { title: 'Segment · Flagship' };

export default async function SegmentPage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string; environment: string; segment: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { who } = await requireSession();
  const { project, environment, segment: rawKey } = await params;
  const key = decodeURIComponent(rawKey);
  const saved = (await searchParams).saved;
  const base = envPath(project, environment);
  const [env, found] = await Promise.all([
    loadEnvironment(project, environment),
    callApi<Segment & { usedBy: string[] }>(`${base}/segments/${seg(key)}`),
  ]);
  const crumbs = (
    <Breadcrumbs
      items={[
        { label: 'Projects', href: '/projects' },
        { label: project, href: `/projects/${seg(project)}/flags?env=${seg(environment)}` },
        { label: 'Segments', href: `${base}/segments` },
        { label: key },
      ]}
    />
  );
  if (!env.ok || !found.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>Segment {key}</h1>
        <ApiErrorPanel error={!env.ok ? env.error : (found as Extract<typeof found, { ok: false }>).error} />
      </main>
    );
  const s = found.data;
  const { usedBy, ...segment } = s;
  const editable = canEdit(who, env.data.id);
  const approval = env.data.requireApproval;
  return (
    <main id="main">
      {crumbs}
      <h1>
        Segment {s.key} <span className="muted">in {env.data.name}</span>
      </h1>
      <p className="muted" data-testid="segment-version">
        Version {s.version}
      </p>
      {typeof saved === 'string' ? (
        <p role="status" className="ok">
          Saved: version {saved}.
        </p>
      ) : null}
      <section aria-labelledby="used-by" className={styles.usage}>
        <h2 id="used-by">Used by</h2>
        {usedBy.length === 0 ? (
          <p className="muted">No flag in {env.data.name} uses this segment.</p>
        ) : (
          <ul className={styles.inlineList}>
            {usedBy.map((f) => (
              <li key={f}>
                <a href={flagEditorPath(project, environment, f)}>{f}</a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <h2>Edit</h2>
      <SegmentForm
        key={s.version}
        project={project}
        environment={environment}
        segmentKey={s.key}
        version={s.version}
        initial={draftOf(segment)}
        approval={approval}
        disabled={!editable}
        disabledReason={editable ? undefined : `Your key (${who.role}) cannot change segments in ${env.data.id}.`}
        reloadHref={`${base}/segments/${seg(s.key)}`}
      />
      <h2>Delete</h2>
      {usedBy.length > 0 ? (
        <p className="hint">The API refuses to delete a segment while a flag uses it (here: {usedBy.join(', ')}).</p>
      ) : null}
      <ConfirmDialog
        triggerLabel={approval ? 'Request deletion' : 'Delete segment'}
        title={approval ? `Request deleting segment ${s.key}` : `Delete segment ${s.key}?`}
        description={
          approval
            ? `${env.data.name} requires approval: this files a change request to delete the segment; another person approves it.`
            : `Flags in ${env.data.name} that test this segment would no longer match it. The audit log keeps the segment.`
        }
        confirmLabel={approval ? 'File change request' : 'Delete'}
        action={deleteSegment}
        hidden={{
          project,
          environment,
          segment: s.key,
          version: String(s.version),
          approval: approval ? '1' : '',
        }}
        askReason={approval}
        typeToConfirm={approval ? env.data.name : undefined}
        disabled={!editable}
        disabledReason={editable ? undefined : 'Your key cannot delete segments in this environment.'}
      />
    </main>
  );
}
