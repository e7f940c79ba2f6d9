/** A scheduled change as the database holds it: the truth that the BullMQ job merely triggers. */
import type { FlagConfig } from '@flagship/evaluator';
import type { Policy } from '../rollouts/policy/policy.ts';

/**
 * - scheduled: waits for `at`, then is applied (or conflicts).
 * - awaiting-approval: in an approval-required environment, until someone other than its
 *   author approves its change request; still unapproved at `at`, it expires.
 * - applied / cancelled / conflicted / expired: final; nothing moves a schedule out of them.
 */
export type ScheduleStatus = 'scheduled' | 'awaiting-approval' | 'applied' | 'cancelled' | 'conflicted' | 'expired';

export const SCHEDULE_STATUSES: readonly ScheduleStatus[] = [
  'scheduled',
  'awaiting-approval',
  'applied',
  'cancelled',
  'conflicted',
  'expired',
];

/** The statuses a schedule can still leave: the reconciler arms these, cancel accepts these. */
export const PENDING_STATUSES: readonly ScheduleStatus[] = ['scheduled', 'awaiting-approval'];

/** What a schedule changes at `at`: exactly one of the three. */
export type ScheduleChange =
  /** A whole config, as PUT takes it, written only if the config is still at `baseVersion`. */
  | { kind: 'config'; config: FlagConfig; baseVersion: number }
  /** Turns the flag on or off, whatever version its config is at then. */
  | { kind: 'action'; action: 'enable' | 'disable' }
  /** Starts a rollout as POST .../rollouts does; the policy is pinned as it was when scheduled. */
  | { kind: 'rollout'; policy: string; policyDocument: Policy; treatment: string; control: string };

export interface ScheduleAuthor {
  keyId: string;
  name: string;
  /** The person: nobody with a key of this owner may approve the schedule. */
  owner: string;
}

export interface ScheduleRecord {
  id: number;
  projectKey: string;
  environmentId: string;
  flagKey: string;
  /** When it applies: ISO-8601 in UTC (toISOString), so stored times compare as strings. */
  at: string;
  comment: string;
  change: ScheduleChange;
  status: ScheduleStatus;
  /** Guards every transition: applying, cancelling, approving and expiring each name the version read. */
  version: number;
  author: ScheduleAuthor;
  /** The change request that carries its approval (approval-required environments); null elsewhere. */
  changeRequestId: string | null;
  approvedBy: ScheduleAuthor | null;
  /** Why it ended as it did (the conflict, the expiry, who cancelled); null while pending. */
  outcome: string | null;
  /** The config version it wrote (config, action, and the rollout's first step). */
  appliedVersion: number | null;
  /** The rollout it started (rollout schedules). */
  rolloutId: number | null;
  createdAt: string;
  updatedAt: string;
}
