/** A flag's rollouts in one environment, and the form that starts one. */
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../../../components/api-error-panel.tsx';
import { FlagTabs } from '../../../../../../../../components/flag/flag-tabs.tsx';
import { RolloutTable } from '../../../../../../../../components/rollout/rollout-table.tsx';
import { canEdit } from '../../../../../../../../lib/access.ts';
import { callApi, seg } from '../../../../../../../../lib/admin-api.ts';
import type { EnvironmentView } from '../../../../../../../../lib/api-types.ts';
import type { PolicyView, RolloutView } from '../../../../../../../../lib/rollout-types.ts';
import { requireSession } from '../../../../../../../../lib/signed-in.ts';
import { StartRolloutForm } from './start-form.tsx';

export const metadata: Metadata = { title: 'Rollouts of a flag · Flagship' };

const ACTIVE = new Set(['running', 'awaiting-approval', 'paused']);

export default async function FlagRolloutsPage({
  params,
}: {
  params: Promise<{ project: string; environment: string; flag: string }>;
}) {
  const { who } = await requireSession();
  const { project, environment, flag } = await params;
  const envPath = `/projects/${seg(project)}/environments/${seg(environment)}`;
  const flagPath = `${envPath}/flags/${seg(flag)}`;
  const [env, def, list, policies] = await Promise.all([
    callApi<EnvironmentView>(envPath),
    callApi<{ key: string; variants: Record<string, unknown> }>(`/projects/${seg(project)}/flags/${seg(flag)}`),
    callApi<{ items: RolloutView[]; nextCursor: string | null }>(
      `/rollouts?project=${seg(project)}&environment=${seg(`${project}.${environment}`)}&flag=${seg(flag)}&limit=100`,
    ),
    callApi<{ items: PolicyView[] }>('/policies'),
  ]);
  const failed = [env, def, list, policies].find((x) => !x.ok);
  const envId = `${project}.${environment}`;
  const active = list.ok ? list.data.items.find((r) => ACTIVE.has(r.status)) : undefined;
  const blocked = !canEdit(who, envId)
    ? `your role (${who.role}) cannot start rollouts in ${envId}`
    : active
      ? `rollout #${active.id} is ${active.status}: one active rollout per flag and environment`
      : undefined;
  return (
    <main id="main">
      <nav aria-label="Breadcrumbs" className="breadcrumbs">
        <ol>
          <li>
            <a href="/projects">Projects</a>
          </li>
          <li>
            <a href={`/projects/${seg(project)}/flags?env=${seg(environment)}`}>{project} flags</a>
          </li>
          <li>
            <a href={flagPath}>{flag}</a>
          </li>
          <li>
            <span aria-current="page">Rollouts</span>
          </li>
        </ol>
      </nav>
      <h1>
        Rollouts of {flag} <span className="muted">in {env.ok ? env.data.name : environment}</span>
      </h1>
      <FlagTabs flagPath={flagPath} current="rollouts" />
      {failed && !failed.ok ? <ApiErrorPanel error={failed.error} /> : null}
      {list.ok ? (
        list.data.items.length > 0 ? (
          <RolloutTable items={list.data.items} caption={`Rollouts of ${flag} in ${envId}, newest first`} />
        ) : (
          <p className="hint">No rollout of this flag in this environment yet.</p>
        )
      ) : null}
      {def.ok && policies.ok ? (
        <StartRolloutForm
          project={project}
          environment={environment}
          flag={flag}
          policies={policies.data.items}
          variants={Object.keys(def.data.variants)}
          {...(blocked ? { blocked } : {})}
        />
      ) : null}
    </main>
  );
}
