import type { Flag, FlagConfig, Segment } from '@flagship/evaluator';
import type { Policy } from '../rollouts/policy/policy.ts';

export type ChangeRequestStatus = 'pending' | 'applied' | 'rejected' | 'cancelled';

/**
 * What a change request asks for. `config` changes one flag's config in the request's
 * environment; `definition`, `archive` and `unarchive` change the flag for every environment of
 * its project; `rollout-start` and `rollout-retry` start a rollout (or run it again) in the
 * request's environment with the pinned policy and parameters; `segment` creates, updates or
 * deletes one segment of the request's environment.
 */
export type FileableKind =
  'config' | 'definition' | 'archive' | 'unarchive' | 'rollout-start' | 'rollout-retry' | 'segment';
/**
 * `schedule` is filed by POST .../flags/{flag}/schedules in an approval-required environment,
 * never through the change request route: approving it arms the schedule (schedules/), which is
 * applied at its time; rejecting or cancelling it cancels the schedule.
 */
export type ChangeRequestKind = FileableKind | 'schedule';
/** The kinds the change request route files. */
export const CHANGE_REQUEST_KINDS: readonly FileableKind[] = [
  'config',
  'definition',
  'archive',
  'unarchive',
  'rollout-start',
  'rollout-retry',
  'segment',
];
export type SegmentAction = 'create' | 'update' | 'delete';
export const SEGMENT_ACTIONS: readonly SegmentAction[] = ['create', 'update', 'delete'];

/** The fields of the kinds other than `config`, as approved (and shown in the API). */
export interface ChangeRequestPayload {
  /** definition: the new definition (key and salt included). */
  definition?: Flag;
  /** rollout-start: the policy as it was when the request was filed; approval starts exactly this. */
  rollout?: { policy: string; policyDocument: Policy; treatment: string; control: string; reason: string | null };
  /** rollout-retry: the rollout to run again. Also, once applied, the rollout a start created. */
  rolloutId?: number;
  /** rollout-retry: the reason recorded on the retry. */
  reason?: string | null;
  /**
   * segment: what happens to segment `key`; `segment` is the validated proposal (create,
   * update; its version is the one it would get), absent for a delete.
   */
  segment?: { action: SegmentAction; key: string; segment?: Segment };
  /** schedule: when and what (a config change's config is in `config`); the schedule names this request. */
  schedule?: {
    at: string;
    kind: 'config' | 'action' | 'rollout';
    action?: 'enable' | 'disable';
    rollout?: { policy: string; treatment: string; control: string };
  };
}

export interface Review {
  keyId: string;
  name: string;
  owner?: string;
  decision: 'approve' | 'reject' | 'cancel';
  comment: string;
  at: string;
}

/** A proposed change in an approval-required environment. */
export interface ChangeRequestRecord {
  id: string;
  environmentId: string;
  projectKey: string;
  flagKey: string;
  kind: ChangeRequestKind;
  /** The proposed config (kind `config`); null for the other kinds. */
  config: FlagConfig | null;
  payload: ChangeRequestPayload | null;
  /**
   * The version the change is based on: the config's (config, rollout-start), the flag's
   * (definition, archive, unarchive), the rollout's (rollout-retry) or the segment's (segment; 0
   * for a create: the segment does not exist yet). Approval refuses a moved base.
   */
  baseVersion: number;
  comment: string;
  status: ChangeRequestStatus;
  /** `owner` is the person who asked: nobody with a key of that owner may approve. */
  author: { keyId: string; name: string; owner: string };
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
  decide(
    id: string,
    status: ChangeRequestStatus,
    reviews: Review[],
    appliedVersion: number | null,
    now: string,
    payload?: ChangeRequestPayload | null,
  ): Promise<boolean>;
  deleteByEnvironment(environmentId: string): Promise<number>;
}
