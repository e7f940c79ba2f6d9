import type { FlagConfig } from '@flagship/evaluator';

export type ChangeRequestStatus = 'pending' | 'applied' | 'rejected' | 'cancelled';

export interface Review {
  keyId: string;
  name: string;
  decision: 'approve' | 'reject' | 'cancel';
  comment: string;
  at: string;
}

/** A proposed flag-config change in an approval-required environment. */
export interface ChangeRequestRecord {
  id: string;
  environmentId: string;
  projectKey: string;
  flagKey: string;
  config: FlagConfig;
  baseVersion: number;
  comment: string;
  status: ChangeRequestStatus;
  author: { keyId: string; name: string };
  reviews: Review[];
  appliedVersion: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface ChangeRequestStore {
  insert(cr: Omit<ChangeRequestRecord, 'id'>): Promise<string>;
  get(id: string): Promise<ChangeRequestRecord | undefined>;
  list(environmentId: string, status?: ChangeRequestStatus): Promise<ChangeRequestRecord[]>;
  /** Conditional on the request still being pending; false when someone else decided first. */
  decide(id: string, status: ChangeRequestStatus, reviews: Review[], appliedVersion: number | null, now: string): Promise<boolean>;
  deleteByEnvironment(environmentId: string): Promise<number>;
}
