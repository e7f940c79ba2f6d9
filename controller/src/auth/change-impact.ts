/**
 * The one place that says which environments a change affects and what it therefore needs.
 * Every writer of flags and segments (flag and segment routes, imports, rollouts, change requests) describes its change
 * as parts, asks `assessChange` for the impact, and `enforceImpact` refuses what the key may not do:
 *
 * - a config write, a segment change or a rollout start/retry affects its one environment;
 * - a definition edit (variants, type, tags, description, salt), an archive or an unarchive
 *   affects every environment of the project (a flag has a config in each, and each snapshot
 *   carries the definition): it is project-wide;
 * - a flag creation is project-wide too, but changes nothing served in other environments (its
 *   configs start off), so it needs no approval there; an import that gives the new flag a config
 *   adds a config part for that environment, which does;
 * - an import is the union of its parts.
 *
 * A project-wide part needs a key without an environment list (403 ENVIRONMENT_FORBIDDEN, naming
 * the part); an affected environment that requires approval needs an approved change request
 * (409 APPROVAL_REQUIRED, naming the environments and the route to file it).
 */
import type { Stores } from '../db/stores.ts';
import { conflict, type DomainErrorDetails, forbidden } from '../errors/domain-errors.ts';
import type { Actor } from '../http/request-context.ts';
import { canAccessEnvironment } from './access.ts';

export type ChangePart =
  | { kind: 'config'; environmentId: string; flagKey: string }
  | { kind: 'segment'; environmentId: string; segmentKey: string }
  | { kind: 'rollout'; environmentId: string; flagKey: string }
  | { kind: 'create' | 'definition' | 'archive' | 'unarchive'; flagKey: string };

export interface ChangeImpact {
  projectKey: string;
  /** What makes the change project-wide ("archives flag a"); empty when it is not. */
  projectWide: string[];
  /** Every environment whose served state changes. */
  environments: string[];
  /** The approval-required ones among them, each with what changes there. */
  approval: Array<{ environmentId: string; changes: string[] }>;
}

const describe = (p: ChangePart): string => {
  switch (p.kind) {
    case 'config':
      return `changes the config of flag ${p.flagKey}`;
    case 'segment':
      return `changes segment ${p.segmentKey}`;
    case 'rollout':
      return `starts a rollout of flag ${p.flagKey}`;
    case 'create':
      return `creates flag ${p.flagKey}`;
    case 'definition':
      return `changes the definition of flag ${p.flagKey}`;
    case 'archive':
      return `archives flag ${p.flagKey}`;
    case 'unarchive':
      return `unarchives flag ${p.flagKey}`;
  }
};

/** The impact of the parts on the project's environments as they are in this transaction. */
export async function assessChange(s: Stores, projectKey: string, parts: readonly ChangePart[]): Promise<ChangeImpact> {
  const envs = await s.environments.listByProject(projectKey);
  const touched = new Map<string, string[]>();
  const note = (environmentId: string, what: string) => {
    const list = touched.get(environmentId) ?? [];
    if (list.length < 20) list.push(what);
    touched.set(environmentId, list);
  };
  const projectWide: string[] = [];
  for (const p of parts) {
    const what = describe(p);
    if (p.kind === 'config' || p.kind === 'segment' || p.kind === 'rollout') {
      note(p.environmentId, what);
      continue;
    }
    if (projectWide.length < 20) projectWide.push(what);
    // A new flag is off everywhere: it changes what no environment serves for an existing key.
    if (p.kind !== 'create') for (const e of envs) note(e.id, what);
  }
  const approval = envs
    .filter((e) => e.requireApproval && touched.has(e.id))
    .map((e) => ({ environmentId: e.id, changes: touched.get(e.id)! }));
  return { projectKey, projectWide, environments: [...touched.keys()].sort(), approval };
}

/** What an APPROVAL_REQUIRED answer carries besides the message. */
export interface ApprovalRequiredDetails extends DomainErrorDetails {
  environments: string[];
  changeRequest: { method: 'POST'; path: string; kind: string };
}

/**
 * Refuses what the actor may not do: project-wide parts with an environment-limited key (403),
 * environments outside the key's list (403), and, unless `approved` (the change is a change
 * request being approved), any approval-required environment it touches (409). `kind` names the
 * change request kind that would carry the change, for the 409's hint.
 */
export function enforceImpact(actor: Actor, impact: ChangeImpact, o: { approved?: boolean; kind: string }): void {
  if (impact.projectWide.length > 0 && actor.environments !== null) {
    throw forbidden(
      `this change is project-wide (it ${impact.projectWide.join(', ')}): it affects every environment of project ${impact.projectKey} and needs a key not limited to environments`,
      'ENVIRONMENT_FORBIDDEN',
    );
  }
  const outside = impact.environments.filter((e) => !canAccessEnvironment(actor, e));
  if (outside.length > 0)
    throw forbidden(`this change affects ${outside.join(', ')}, which the key may not access`, 'ENVIRONMENT_FORBIDDEN');
  if (o.approved || impact.approval.length === 0) return;
  const ids = impact.approval.map((a) => a.environmentId);
  const first = ids[0]!;
  const path = `/api/v1/projects/${impact.projectKey}/environments/${first.slice(impact.projectKey.length + 1)}/change-requests`;
  const details: ApprovalRequiredDetails = { environments: ids, changeRequest: { method: 'POST', path, kind: o.kind } };
  const what = impact.approval.map((a) => `${a.environmentId} (${a.changes.join(', ')})`).join('; ');
  throw conflict(
    'APPROVAL_REQUIRED',
    `this change affects approval-required environment${ids.length > 1 ? 's' : ''} ${what}: file a change request of kind "${o.kind}" (POST ${path}) and have someone else approve it`,
    details,
  );
}
