/** What the API keys page, its forms and its actions share (no server-only code: the client imports it). */
import type { ApiError } from '../../lib/admin-api.ts';

export const KEY_ROLES = ['viewer', 'editor', 'approver', 'admin', 'sdk', 'client'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** A key as GET /api-keys lists it (never its token). */
export interface ListedKey {
  id: string;
  name: string;
  owner: string;
  role: KeyRole;
  environments: string[] | null;
  tokenPrefix?: string;
  createdAt: string;
  createdBy?: string | null;
  revokedAt: string | null;
  /** Not every API version reports it. */
  lastUsedAt?: string | null;
}

export interface CreateState {
  /** The key just created, with its token: held only in the page's memory, shown once. */
  created?: ListedKey & { token: string };
  error?: ApiError;
}

export interface RevokeState {
  ok?: boolean;
  error?: ApiError;
}

/**
 * The environments a new key is limited to: `null` (all) unless the scope is `some`; an sdk or
 * client key always names its list (the API wants exactly one).
 */
export function environmentsOf(role: string, scope: string, checked: string[]): string[] | null {
  if (isEvaluatorKey(role) || scope === 'some') return [...new Set(checked)];
  return null;
}

/** sdk and client keys belong to the evaluator and name exactly one environment. */
export function isEvaluatorKey(role: string): boolean {
  return role === 'sdk' || role === 'client';
}
