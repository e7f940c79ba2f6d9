import type { Segment } from '@flagship/evaluator';

/** A segment of one environment; `segment.version` is the row's version. */
export interface SegmentRecord {
  environmentId: string;
  segment: Segment;
  createdAt: string;
  updatedAt: string;
}

export interface SegmentStore {
  get(environmentId: string, key: string): Promise<SegmentRecord | undefined>;
  list(environmentId: string): Promise<SegmentRecord[]>;
  /** Throws DuplicateKeyError when the key exists in the environment. */
  insert(record: SegmentRecord): Promise<void>;
  /** Conditional on `expectedVersion`; stores `segment` with version expectedVersion + 1. */
  update(environmentId: string, key: string, expectedVersion: number, segment: Segment, now: string): Promise<boolean>;
  delete(environmentId: string, key: string): Promise<boolean>;
  deleteByEnvironment(environmentId: string): Promise<number>;
}
