/**
 * An environment's schedules, upcoming and past (`?flag=` narrows them to one flag and shows the
 * flag's tabs: it is the flag's Schedules tab). Scheduling itself happens where the change is
 * made: the flag editor ("Apply at …") and the flag's Rollouts tab ("Start at …").
 */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../components/api-error-panel.tsx';
import { FlagTabs } from '../../../../../../components/flag/flag-tabs.tsx';
import { RefreshWhileDue } from '../../../../../../components/schedule/refresh-while-due.tsx';
import { ScheduleTable } from '../../../../../../components/schedule/schedule-table.tsx';
import { canEdit } from '../../../../../../lib/access.ts';
import { seg } from '../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../lib/signed-in.ts';
import { Breadcrumbs, envPath, flagEditorPath, loadEnvironment } from '../segments/page-support.tsx';
import { PAST_LIMIT, readSchedules, UPCOMING_LIMIT } from './schedule-read.ts';

export const metadata: Metadata = { title: 'Schedules · Flagship' };

const FLAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export default async function SchedulesPage({
  params,
  searchParams,
}: {
  params: Promise<{ project: string; environment: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { who } = await requireSession();
  const { project, environment } = await params;
  const q = (await searchParams).flag;
  const flag = typeof q === 'string' && FLAG_KEY.test(q) ? q : undefined;
  const base = envPath(project, environment);
  const [env, lists] = await Promise.all([
    loadEnvironment(project, environment),
    readSchedules(project, environment, flag),
  ]);
  const envName = env.ok ? env.data.name : environment;
  const envId = `${project}.${environment}`;
  const crumbs = (
    <Breadcrumbs
      items={[
        { label: 'Projects', href: '/projects' },
        { label: project, href: `/projects/${seg(project)}/flags?env=${seg(environment)}` },
        ...(flag
          ? [
              { label: envName, href: `${base}/schedules` },
              { label: flag, href: flagEditorPath(project, environment, flag) },
            ]
          : [{ label: envName }]),
        { label: 'Schedules' },
      ]}
    />
  );
  const cancelBlocked = canEdit(who, envId)
    ? undefined
    : `Your key (${who.role}${who.environments ? `, limited to ${who.environments.join(', ') || 'no environments'}` : ''}) cannot cancel schedules in ${envId}: an editor of it can.`;
  const common = { envPath: base, showFlag: !flag, current: lists.current, cancelBlocked };
  return (
    <main id="main">
      {crumbs}
      <h1>
        {flag ? (
          <>
            Schedules of <code>{flag}</code>
          </>
        ) : (
          'Schedules'
        )}{' '}
        <span className="muted">in {envName}</span>
      </h1>
      {flag ? <FlagTabs flagPath={flagEditorPath(project, environment, flag)} current="schedules" /> : null}
      {!env.ok ? <ApiErrorPanel error={env.error} /> : null}
      {lists.errors.map((e, i) => (
        <ApiErrorPanel key={i} error={e} title="The schedules could not be read" />
      ))}
      <p className="hint">
        Schedule a change from {flag ? "the flag's" : "a flag's"} targeting editor (“Apply at …”, “Turn off at …”) or
        its Rollouts tab (“Start at …”).
        {env.ok && env.data.requireApproval
          ? ` ${env.data.name} needs approval: a schedule waits for another person to approve its change request, and expires if nobody has by its time.`
          : ''}{' '}
        Times are shown in your browser’s zone and in UTC.
      </p>
      <RefreshWhileDue pendingAts={lists.upcoming.map((s) => s.at)} />

      <section aria-labelledby="upcoming-h" className="stack">
        <h2 id="upcoming-h">Upcoming</h2>
        {lists.upcoming.length === 0 ? (
          <p data-testid="no-upcoming">Nothing is scheduled{flag ? ' for this flag' : ''}.</p>
        ) : (
          <ScheduleTable
            {...common}
            items={lists.upcoming}
            caption={`Upcoming schedules${flag ? ` of ${flag}` : ''} in ${envId}, soonest first`}
          />
        )}
        {lists.moreUpcoming ? (
          <p className="hint">Only the first {UPCOMING_LIMIT} are shown; more are scheduled after them.</p>
        ) : null}
      </section>

      <section aria-labelledby="past-h" className="stack">
        <h2 id="past-h">Past</h2>
        {lists.past.length === 0 ? (
          <p data-testid="no-past">No schedule{flag ? ' of this flag' : ''} has ended yet.</p>
        ) : (
          <ScheduleTable
            {...common}
            items={lists.past}
            caption={`Past schedules${flag ? ` of ${flag}` : ''} in ${envId}: applied, cancelled, conflicted or expired, newest first`}
          />
        )}
        {lists.pastTruncated ? (
          <p className="hint">
            The list stopped after 5,000 past schedules; the {PAST_LIMIT} shown are the latest of those read.
          </p>
        ) : null}
      </section>
    </main>
  );
}
