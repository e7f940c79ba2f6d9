/**
 * A flag in an environment: the targeting editor. One round of parallel reads (definition,
 * config, environment, segments, the first 200 flags of the project for the prerequisite picker),
 * then the prerequisites' configs in this environment (for "Try a context"), never the whole
 * project's flags: the page stays fast with 10,000 flags.
 */
import type { Flag, FlagConfig, Segment, SnapshotFlag } from '@flagship/evaluator';
import type { Metadata } from 'next';
import { ApiErrorPanel } from '../../../../../../../components/api-error-panel.tsx';
import { KillSwitch } from '../../../../../../../components/flag/kill-switch.tsx';
import { canEdit } from '../../../../../../../lib/access.ts';
import { type ApiError, callApi, seg } from '../../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../../lib/signed-in.ts';
import { FlagEditor } from './flag-editor.tsx';
import type { EnvironmentView } from '../../../../../../../lib/api-types.ts';
import { FlagTabs } from '../../../../../../../components/flag/flag-tabs.tsx';

export const metadata: Metadata = { title: 'Targeting · Flagship' };

type FlagRead = Flag & {
  archived: boolean;
  version: number;
  environments?: Record<string, { enabled: boolean; version: number }>;
};
type ConfigRead = FlagConfig & { version: number };

/** How many flags the prerequisite picker is offered (plus the ones the config already names). */
const PICKER_FLAGS = 200;
/** Prerequisite chains are followed this many flags deep at most, for "Try a context". */
const MAX_PREREQUISITE_FLAGS = 50;

const definitionOf = (f: Flag): Flag => ({
  key: f.key,
  type: f.type,
  ...(f.description !== undefined ? { description: f.description } : {}),
  ...(f.tags !== undefined ? { tags: f.tags } : {}),
  variants: f.variants,
  salt: f.salt,
});

const configOf = (c: ConfigRead): FlagConfig => {
  const { version: _v, ...config } = c;
  return config;
};

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function Crumbs({ project, environment, flag }: { project: string; environment: string; flag: string }) {
  return (
    <nav aria-label="Breadcrumbs" className="breadcrumbs">
      <ol>
        <li>
          <a href="/projects">Projects</a>
        </li>
        <li>
          <a href={`/projects/${seg(project)}/flags?env=${seg(environment)}`}>{project} flags</a>
        </li>
        <li>{environment}</li>
        <li aria-current="page">{flag}</li>
      </ol>
    </nav>
  );
}

/**
 * The configs (in this environment) of the flags the config names as prerequisites, following
 * their own prerequisites, as the environment's snapshot holds them.
 */
async function prerequisiteFlags(
  envPath: string,
  project: string,
  start: FlagConfig,
  known: Map<string, Flag>,
  self: string,
): Promise<SnapshotFlag[]> {
  const out = new Map<string, SnapshotFlag>();
  let wave = [...new Set(start.prerequisites.map((p) => p.flag))].filter((k) => k !== self);
  while (wave.length > 0 && out.size < MAX_PREREQUISITE_FLAGS) {
    wave = wave.slice(0, MAX_PREREQUISITE_FLAGS - out.size);
    const read = await Promise.all(
      wave.map(async (k) => {
        const [def, cfg] = await Promise.all([
          known.has(k) ? Promise.resolve(undefined) : callApi<FlagRead>(`/projects/${seg(project)}/flags/${seg(k)}`),
          callApi<ConfigRead>(`${envPath}/flags/${seg(k)}`),
        ]);
        if (def?.ok) known.set(k, definitionOf(def.data));
        const d = known.get(k);
        return d && cfg.ok ? { ...d, ...cfg.data } : undefined;
      }),
    );
    const next: string[] = [];
    for (const f of read) {
      if (!f) continue;
      out.set(f.key, f);
      for (const p of f.prerequisites)
        if (p.flag !== self && !out.has(p.flag) && !next.includes(p.flag)) next.push(p.flag);
    }
    wave = next.filter((k) => !out.has(k));
  }
  return [...out.values()];
}

export default async function FlagTargetingPage({
  params,
}: {
  params: Promise<{ project: string; environment: string; flag: string }>;
}) {
  const { who } = await requireSession();
  const raw = await params;
  const project = decode(raw.project);
  const environment = decode(raw.environment);
  const flagKey = decode(raw.flag);
  const projectPath = `/projects/${seg(project)}`;
  const envPath = `${projectPath}/environments/${seg(environment)}`;
  const pagePath = `${envPath}/flags/${seg(flagKey)}`;

  const [def, cfg, env, segs, list] = await Promise.all([
    callApi<FlagRead>(`${projectPath}/flags/${seg(flagKey)}`),
    callApi<ConfigRead>(pagePath),
    callApi<EnvironmentView>(envPath),
    callApi<{ items: Array<Segment & { usedBy?: string[] }> }>(`${envPath}/segments`),
    callApi<{ items: FlagRead[]; nextCursor: string | null }>(`${projectPath}/flags?limit=${PICKER_FLAGS}`),
  ]);

  const crumbs = <Crumbs project={project} environment={environment} flag={flagKey} />;
  if (!def.ok || !cfg.ok || !env.ok) {
    const errors: ApiError[] = [def, cfg, env].flatMap((r) => (r.ok ? [] : [r.error]));
    return (
      <main id="main">
        {crumbs}
        <h1>Flag {flagKey}</h1>
        {errors.map((e, i) => (
          <ApiErrorPanel key={i} error={e} />
        ))}
      </main>
    );
  }

  const definition = definitionOf(def.data);
  const known = new Map<string, Flag>();
  if (list.ok) for (const f of list.data.items) known.set(f.key, definitionOf(f));
  const otherFlags = await prerequisiteFlags(envPath, project, configOf(cfg.data), known, flagKey);
  const pickable = [...known.values()]
    .filter((f) => f.key !== flagKey)
    .map((f) => ({ key: f.key, type: f.type, variants: f.variants }))
    .sort((a, b) => a.key.localeCompare(b.key));
  const segments: Segment[] = segs.ok ? segs.data.items.map(({ usedBy: _u, ...s }) => s) : [];
  const editable = canEdit(who, env.data.id) && !def.data.archived;
  const disabledReason = def.data.archived
    ? 'This flag is archived: unarchive it to change its targeting.'
    : !canEdit(who, env.data.id)
      ? `Your key (${who.role}${who.environments ? `, limited to ${who.environments.join(', ') || 'no environments'}` : ''}) cannot change configs in ${env.data.id}: everything here is read-only.`
      : undefined;

  return (
    <main id="main">
      {crumbs}
      <h1>
        <code>{definition.key}</code> <span className="muted">in {env.data.name}</span>
      </h1>
      <div className="row" data-testid="flag-header">
        <span className="badge">{definition.type}</span>
        <span className="badge" data-testid="environment-name">
          environment {env.data.name} ({env.data.id})
        </span>
        {env.data.requireApproval ? (
          <span className="badge danger" data-testid="approval-badge">
            changes need approval
          </span>
        ) : (
          <span className="badge" data-testid="approval-badge">
            direct changes
          </span>
        )}
        {cfg.data.enabled ? <span className="badge on">on</span> : <span className="badge off">off</span>}
        {def.data.archived ? <span className="badge danger">archived</span> : null}
      </div>
      {definition.description ? <p data-testid="flag-description">{definition.description}</p> : null}
      <KillSwitch
        project={project}
        environment={environment}
        environmentName={env.data.name}
        flag={definition.key}
        enabled={cfg.data.enabled}
        requireApproval={env.data.requireApproval}
        canEdit={editable}
        {...(disabledReason ? { disabledReason } : {})}
      />
      <FlagTabs flagPath={pagePath} current="targeting" />
      {!segs.ok ? <ApiErrorPanel error={segs.error} title="The segments could not be read" /> : null}
      {!list.ok ? <ApiErrorPanel error={list.error} title="The project's flags could not be read" /> : null}
      <FlagEditor
        project={project}
        environment={environment}
        environmentName={env.data.name}
        requireApproval={env.data.requireApproval}
        definition={definition}
        loaded={cfg.data}
        segments={segments}
        flags={pickable}
        otherFlags={otherFlags}
        canEdit={editable}
        disabledReason={disabledReason}
      />
    </main>
  );
}
