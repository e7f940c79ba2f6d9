import type { MetricDefinition } from './metric-definition.ts';

/** A project's metric definition; `version` is the row's, bumped on every replace. */
export interface MetricRecord {
  projectKey: string;
  definition: MetricDefinition;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface MetricStore {
  get(projectKey: string, key: string): Promise<MetricRecord | undefined>;
  /** By key. */
  list(projectKey: string): Promise<MetricRecord[]>;
  /** Throws DuplicateKeyError when the key exists in the project. */
  insert(record: MetricRecord): Promise<void>;
  /** Conditional on `expectedVersion`; stores `definition` at expectedVersion + 1. */
  update(
    projectKey: string,
    key: string,
    expectedVersion: number,
    definition: MetricDefinition,
    now: string,
  ): Promise<boolean>;
  delete(projectKey: string, key: string): Promise<boolean>;
}
