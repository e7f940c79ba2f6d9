/**
 * Roles, weakest first; `sdk` and `client` are outside the ladder (evaluator only): an `sdk` key
 * reads its environment's snapshot (server-side SDKs), a `client` key may only evaluate flags of
 * its environment over OFREP (browsers and mobile apps, where the key is public).
 */
export type Role = 'viewer' | 'editor' | 'approver' | 'admin' | 'sdk' | 'client';
export const ROLES: readonly Role[] = ['viewer', 'editor', 'approver', 'admin', 'sdk', 'client'];

/** The roles the evaluator serves and the admin API refuses; each names exactly one environment. */
export type EvaluatorRole = 'sdk' | 'client';

export function isEvaluatorRole(role: Role): role is EvaluatorRole {
  return role === 'sdk' || role === 'client';
}

/** An API key as stored: never the token, only its hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  /** Environment ids the key may touch; null means every environment. */
  environments: string[] | null;
  tokenPrefix: string;
  /** The person the key belongs to (a name or an email); required at creation. */
  owner: string;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
}

export interface ApiKeyStore {
  /** The unrevoked key with this token hash. */
  findActiveByHash(tokenHash: string): Promise<ApiKeyRecord | undefined>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Returns the new key's id. */
  insert(key: Omit<ApiKeyRecord, 'id' | 'revokedAt'>, tokenHash: string): Promise<string>;
  /** False when the key is unknown or already revoked. */
  revoke(id: string, now: string): Promise<boolean>;
  /** Narrows an unrevoked key's environment list (an environment of it was deleted). */
  setEnvironments(id: string, environments: string[]): Promise<boolean>;
  /** Unrevoked SDK-key hashes of one environment (for snapshots). */
  activeSdkHashes(environmentId: string): Promise<string[]>;
  /** Unrevoked client-key hashes of one environment (for snapshots, apart from the SDK keys'). */
  activeClientHashes(environmentId: string): Promise<string[]>;
  /** Unrevoked admin keys without an environment list: the ones that can manage keys. */
  countActiveAdmins(): Promise<number>;
}
