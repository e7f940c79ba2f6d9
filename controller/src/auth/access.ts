/**
 * Who may do what. Roles form a ladder, each including the ones below it:
 * viewer (read) < editor (change flags, segments, configs; file change requests)
 * < approver (also approve or reject change requests) < admin (also keys, projects, environments).
 * `sdk` keys are outside the ladder: the admin API refuses them everywhere.
 * A key with an environment list may only touch those environments; project-wide writes
 * (which affect every environment of a project) need a key without a list.
 */
import type { Role } from '../api-keys/api-key-store.ts';
import { forbidden } from '../http/api-error.ts';
import type { Actor } from '../http/request-context.ts';

export type LadderRole = Exclude<Role, 'sdk'>;
const RANK: Record<LadderRole, number> = { viewer: 0, editor: 1, approver: 2, admin: 3 };

export function hasRole(actor: Actor, role: LadderRole): boolean {
  return actor.role !== 'sdk' && RANK[actor.role] >= RANK[role];
}

export function requireRole(actor: Actor, role: LadderRole): void {
  if (!hasRole(actor, role)) throw forbidden(`this needs the ${role} role; the key has ${actor.role}`, 'ROLE_REQUIRED');
}

export function canAccessEnvironment(actor: Actor, environmentId: string): boolean {
  return actor.environments === null || actor.environments.includes(environmentId);
}

export function requireEnvironment(actor: Actor, environmentId: string): void {
  if (!canAccessEnvironment(actor, environmentId)) throw forbidden(`the key may not access environment ${environmentId}`, 'ENVIRONMENT_FORBIDDEN');
}

/** Reads of a project: a key limited to environments needs one in this project. */
export function canReadProject(actor: Actor, projectKey: string): boolean {
  return actor.environments === null || actor.environments.some((e) => e.startsWith(`${projectKey}.`));
}

export function requireProjectRead(actor: Actor, projectKey: string): void {
  if (!canReadProject(actor, projectKey)) throw forbidden(`the key may not access project ${projectKey}`, 'ENVIRONMENT_FORBIDDEN');
}

/** Project-wide and global writes: only keys without an environment list. */
export function requireUnrestricted(actor: Actor): void {
  if (actor.environments !== null) throw forbidden('this change affects every environment; it needs a key not limited to environments', 'ENVIRONMENT_FORBIDDEN');
}
