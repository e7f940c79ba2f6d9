/**
 * What the signed-in key may do, mirrored from the admin API's rules (docs/api.md "Roles and
 * environments") so the console can disable controls. The API stays the authority: a refusal it
 * answers anyway is shown as it says it.
 */
import type { Who } from './session.ts';

const LADDER = ['viewer', 'editor', 'approver', 'admin'] as const;
export type LadderRole = (typeof LADDER)[number];

/** Whether the key's role includes `role` (roles form a ladder). */
export function hasRole(who: Who, role: LadderRole): boolean {
  return LADDER.indexOf(who.role) >= LADDER.indexOf(role);
}

/** Whether the key reaches environment `project.env`. */
export function holdsEnvironment(who: Who, environmentId: string): boolean {
  return who.environments === null || who.environments.includes(environmentId);
}

/** Whether the key may make project-wide changes (flag definitions, create, archive): no environment list. */
export function unrestricted(who: Who): boolean {
  return who.environments === null;
}

/** Editor (or more) in this environment: edit configs and segments, kill, import, file change requests. */
export function canEdit(who: Who, environmentId: string): boolean {
  return hasRole(who, 'editor') && holdsEnvironment(who, environmentId);
}

/** Approver (or more) in this environment: approve and reject change requests (never their own). */
export function canApprove(who: Who, environmentId: string): boolean {
  return hasRole(who, 'approver') && holdsEnvironment(who, environmentId);
}

/** Admin without an environment list: API keys, projects, environments. */
export function isAdmin(who: Who): boolean {
  return hasRole(who, 'admin') && unrestricted(who);
}
