/**
 * What changed in an environment; the snapshot publisher publishes what the kind names (a flag,
 * a segment, the key lists and browser access: `sdk-key`, `access`) as a delta, and the whole
 * environment for `environment` (created, deleted, or changed as a whole: flags as code).
 */
export type OutboxKind = 'flag-config' | 'flag' | 'segment' | 'kill' | 'sdk-key' | 'access' | 'environment';

export interface OutboxRow {
  id: number;
  environmentId: string;
  kind: OutboxKind;
  entityKey: string | null;
  createdAt: string;
}

export interface OutboxStore {
  append(environmentId: string, kind: OutboxKind, entityKey: string | null, now: string): Promise<void>;
  /** Oldest first. */
  list(limit: number): Promise<OutboxRow[]>;
  /** Of the given ids, those still in the outbox (each once, in id order): another publisher may have published (and deleted) the others. */
  stillPending(ids: readonly number[]): Promise<number[]>;
  /** The publisher deletes what it has published. */
  delete(ids: number[]): Promise<number>;
  /** Whether the environment has changes the publisher has not published yet. */
  hasPending(environmentId: string): Promise<boolean>;
}
