/** One change to one entity. Append-only: the store has no way to change or remove an entry. */
export interface AuditEntry {
  id: string;
  at: string;
  /** `owner`: the person behind the key (absent on rows written before owners were recorded, and by writers without a key's owner). */
  actor: { keyId: string; name: string; owner?: string };
  action: string;
  entityType: string;
  entityKey: string;
  projectKey: string | null;
  environmentId: string | null;
  flagKey: string | null;
  before: unknown;
  after: unknown;
  /** Capped: a last `{path: '', omitted: n}` entry counts what was left out (jsonDiff in the engine core, capped by audit-record.ts). */
  diff: Array<{ path: string; old?: unknown; new?: unknown; omitted?: number }>;
  reason: string | null;
  requestId: string | null;
}

export interface AuditQuery {
  project?: string;
  flag?: string;
  environment?: string;
  actor?: string;
  action?: string;
  /** Inclusive ISO time bounds. */
  from?: string;
  to?: string;
  /** Entries with an id below this one (newest first). */
  before?: number;
  limit: number;
}

export interface AuditStore {
  append(entry: Omit<AuditEntry, 'id'>): Promise<void>;
  /** Newest first. */
  query(query: AuditQuery): Promise<AuditEntry[]>;
}
