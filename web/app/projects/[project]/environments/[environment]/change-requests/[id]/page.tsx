import { jsonDiff } from '@flagship/evaluator';
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../../components/api-error-panel.tsx';
import { DiffTable } from '../../../../../../../components/diff-table.tsx';
import { canApprove, hasRole } from '../../../../../../../lib/access.ts';
import { callApi, seg } from '../../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../../lib/signed-in.ts';
import { Breadcrumbs, envPath, flagEditorPath, loadEnvironment } from '../../segments/page-support.tsx';
import {
  actionOf,
  type ChangeRequest,
  comparison,
  currentPathOf,
  currentVersionOf,
  statusText,
  subjectOf,
  thingOf,
} from '../change-request-model.ts';
import { DecisionForms } from '../decision-forms.tsx';
import { flagSchedulesHref } from '../../../../../../../lib/schedule-links.ts';

export const metadata: Metadata = { title: 'Change request · Flagship' };

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

export default async function ChangeRequestPage({
  params,
}: {
  params: Promise<{ project: string; environment: string; id: string }>;
}) {
  const { who } = await requireSession();
  const { project, environment, id } = await params;
  const base = envPath(project, environment);
  const [env, found] = await Promise.all([
    loadEnvironment(project, environment),
    callApi<ChangeRequest>(`${base}/change-requests/${seg(id)}`),
  ]);
  const crumbs = (
    <Breadcrumbs
      items={[
        { label: 'Projects', href: '/projects' },
        { label: project, href: `/projects/${seg(project)}/flags?env=${seg(environment)}` },
        { label: 'Change requests', href: `${base}/change-requests` },
        { label: `#${id}` },
      ]}
    />
  );
  if (!env.ok || !found.ok)
    return (
      <main id="main">
        {crumbs}
        <h1>Change request {id}</h1>
        <ApiErrorPanel error={!env.ok ? env.error : (found as Extract<typeof found, { ok: false }>).error} />
      </main>
    );
  const cr = found.data;
  const thing = thingOf(cr);
  const subject = subjectOf(cr);
  const path = currentPathOf(cr, project, base);
  const current = path ? await callApi<unknown>(path) : undefined;
  // 404: the thing does not exist (yet: a segment create; or no more).
  const currentDoc = current?.ok ? current.data : undefined;
  const currentError = current && !current.ok && current.status !== 404 ? current.error : undefined;
  const currentVersion = currentVersionOf(currentDoc);
  const pending = cr.status === 'pending';
  const stale = pending && !currentError && path !== undefined && currentVersion !== cr.baseVersion;
  // A schedule's base is checked at its time, not at approval (approval is still possible); and
  // only a config schedule has one (an action or rollout applies to whatever version is current).
  const scheduleMoved = cr.kind === 'schedule' && cr.schedule?.kind === 'config' && stale;
  const docs = comparison(cr, currentDoc);
  const mine = who.owner === cr.author.owner;
  const reviewBlocked = mine
    ? 'You asked for this: another person must approve.'
    : !canApprove(who, env.data.id)
      ? `Your role (${who.role}) cannot approve or reject here: an approver must.`
      : undefined;
  const cancelBlocked =
    mine || hasRole(who, 'admin') ? undefined : `Only the author (${cr.author.owner}) or an admin can cancel.`;

  return (
    <main id="main">
      {crumbs}
      <h1>
        Change request #{String(cr.id)} <span className="muted">in {env.data.name}</span>
      </h1>
      <dl className="stack">
        <div className="row">
          <dt>Status</dt>
          <dd data-testid="cr-status">
            <span className={pending ? 'badge' : cr.status === 'applied' ? 'badge on' : 'badge danger'}>
              {statusText(cr)}
            </span>
            {cr.kind !== 'schedule' && cr.status === 'applied' && cr.appliedVersion !== null ? (
              <span className="muted"> (now version {cr.appliedVersion})</span>
            ) : null}
          </dd>
        </div>
        <div className="row">
          <dt>Changes</dt>
          <dd>
            {actionOf(cr)}: {thing}{' '}
            {subject.kind === 'flag' ? (
              <a href={flagEditorPath(project, environment, subject.key)}>open flag {subject.key}</a>
            ) : subject.kind === 'segment' ? (
              <a href={`${base}/segments/${seg(subject.key)}`}>open segment {subject.key}</a>
            ) : null}
          </dd>
        </div>
        <div className="row">
          <dt>Author</dt>
          <dd data-testid="cr-author">
            {cr.author.owner} <span className="muted">(key “{cr.author.name}”)</span>
          </dd>
        </div>
        <div className="row">
          <dt>Filed</dt>
          <dd>
            <time dateTime={cr.createdAt}>{when(cr.createdAt)}</time>, against version {cr.baseVersion}
          </dd>
        </div>
        <div className="row">
          <dt>Comment</dt>
          <dd>{cr.comment || <span className="muted">none</span>}</dd>
        </div>
      </dl>

      <h2>Base and proposal</h2>
      {currentError ? <ApiErrorPanel error={currentError} title={`Could not read ${thing}`} /> : null}
      {cr.kind === 'schedule' && cr.schedule ? (
        <p data-testid="cr-schedule">
          A scheduled change: approving arms it, and the workers make it at{' '}
          <time dateTime={cr.schedule.at}>{when(cr.schedule.at)}</time>; unapproved by then, it expires. Rejecting or
          cancelling this request cancels the schedule.{' '}
          <a href={flagSchedulesHref(project, environment, subject.key)}>See the flag&apos;s schedules</a>
        </p>
      ) : null}
      {scheduleMoved ? (
        <div className="error-panel" role="alert" data-testid="stale-base">
          <p>
            <strong>Base moved:</strong> {thing} is at version {currentVersion} now, and this schedule was written
            against {cr.baseVersion}: approved, it will be conflicted at its time, not applied.
          </p>
        </div>
      ) : stale && cr.kind !== 'schedule' ? (
        <div className="error-panel" role="alert" data-testid="stale-base">
          <p>
            <strong>Stale base:</strong> {thing} changed since this was filed (version {currentVersion}, filed against{' '}
            {cr.baseVersion}); approving will be refused — cancel and file again.
          </p>
        </div>
      ) : null}
      {!pending ? (
        <p className="hint">
          This request is {cr.status}: the table compares the current {thing} with what it proposed.
        </p>
      ) : null}
      {cr.kind === 'rollout-retry' ? (
        <p>
          Runs rollout {String(cr.rolloutId)} again from step 1{cr.reason ? ` (${cr.reason})` : ''}.
        </p>
      ) : (
        <DiffTable
          entries={jsonDiff(docs.current, docs.proposal)}
          caption={`${thing}: current (version ${currentVersion}) → proposed`}
        />
      )}

      {cr.reviews.length > 0 ? (
        <>
          <h2>Decisions</h2>
          <ul>
            {cr.reviews.map((r, i) => (
              <li key={i}>
                <strong>{r.decision}</strong> by {r.owner ?? r.name} <span className="muted">(key “{r.name}”)</span>{' '}
                <time dateTime={r.at}>{when(r.at)}</time>
                {r.comment ? <>: {r.comment}</> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}

      {pending ? (
        <>
          <h2>Decide</h2>
          <DecisionForms
            project={project}
            environment={environment}
            id={String(cr.id)}
            reviewBlocked={reviewBlocked}
            cancelBlocked={cancelBlocked}
          />
        </>
      ) : null}
    </main>
  );
}
