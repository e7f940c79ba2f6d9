/** What changed in an environment; the snapshot publisher rebuilds that environment. */
export type OutboxKind = 'flag-config' | 'flag' | 'segment' | 'kill' | 'sdk-key' | 'environment';

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
