/**
 * Who may do what. Roles form a ladder, each including the ones below it:
 * viewer (read) < editor (change flags, segments, configs; file change requests)
 * < approver (also approve or reject change requests) < admin (also keys, projects, environments).
 * `sdk` and `client` keys are outside the ladder (they belong to the evaluator): the admin API
 * refuses them everywhere.
 * A key with an environment list may only touch those environments; project-wide writes
 * (which affect every environment of a project) need a key without a list.
 */
import { isEvaluatorRole, type EvaluatorRole, type Role } from '../api-keys/api-key-store.ts';
import { forbidden } from '../errors/domain-errors.ts';
import type { Actor } from '../http/request-context.ts';

export type LadderRole = Exclude<Role, EvaluatorRole>;
const RANK: Record<LadderRole, number> = { viewer: 0, editor: 1, approver: 2, admin: 3 };

export function hasRole(actor: Actor, role: LadderRole): boolean {
  return !isEvaluatorRole(actor.role) && RANK[actor.role] >= RANK[role];
}

export function requireRole(actor: Actor, role: LadderRole): void {
  if (!hasRole(actor, role)) throw forbidden(`this needs the ${role} role; the key has ${actor.role}`, 'ROLE_REQUIRED');
}

export function canAccessEnvironment(actor: Actor, environmentId: string): boolean {
  return actor.environments === null || actor.environments.includes(environmentId);
}

export function requireEnvironment(actor: Actor, environmentId: string): void {
  if (!canAccessEnvironment(actor, environmentId))
    throw forbidden(`the key may not access environment ${environmentId}`, 'ENVIRONMENT_FORBIDDEN');
}

/** Reads of a project: a key limited to environments needs one in this project. */
export function canReadProject(actor: Actor, projectKey: string): boolean {
  return actor.environments === null || actor.environments.some((e) => e.startsWith(`${projectKey}.`));
}

export function requireProjectRead(actor: Actor, projectKey: string): void {
  if (!canReadProject(actor, projectKey))
    throw forbidden(`the key may not access project ${projectKey}`, 'ENVIRONMENT_FORBIDDEN');
}

/** Project-wide and global writes: only keys without an environment list. */
export function requireUnrestricted(actor: Actor): void {
  if (actor.environments !== null)
    throw forbidden(
      'this change affects every environment; it needs a key not limited to environments',
      'ENVIRONMENT_FORBIDDEN',
    );
}

/**
 * Which keys may reach a route, declared by the route as data (http/route.ts enforces it before
 * the handler; the OpenAPI `x-access` table and the authorization matrix test read it).
 */
export type AccessScope =
  /** Any key with the role; lists are filtered to what the key may see, objects checked by the service. */
  | 'any'
  /** Reads of the path's project: keys limited to environments need one in the project. */
  | 'project'
  /** The path's environment must be one of the key's. */
  | 'environment'
  /** Only keys without an environment list (project-wide and global changes). */
  | 'unrestricted'
  /** Limited keys must filter by one of their environments (the handler checks the query). */
  | 'audit'
  /** Reads of the path's project, and the environments named in the body must be the key's (the handler checks the body: kill switch). */
  | 'body-environments';

export const ACCESS_SCOPES: readonly AccessScope[] = [
  'any',
  'project',
  'environment',
  'unrestricted',
  'audit',
  'body-environments',
];
export const LADDER_ROLES: readonly LadderRole[] = ['viewer', 'editor', 'approver', 'admin'];

/** A route's access: the least role on the ladder and the environment scope. */
export interface Access {
  role: LadderRole;
  scope: AccessScope;
}
