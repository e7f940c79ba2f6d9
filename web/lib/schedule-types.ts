/**
 * A schedule as the admin API answers it (docs/api.md "Schedules"), and the words and chip
 * classes the console shows for its status. Types and constants only: the API is the authority.
 */
import type { FlagConfig } from '@flagship/evaluator';

export type ScheduleStatus = 'scheduled' | 'awaiting-approval' | 'applied' | 'cancelled' | 'conflicted' | 'expired';

/** Still able to change: the reconciler arms these and cancel accepts them. */
export const PENDING: readonly ScheduleStatus[] = ['scheduled', 'awaiting-approval'];
export const FINAL: readonly ScheduleStatus[] = ['applied', 'cancelled', 'conflicted', 'expired'];

export interface ScheduleAuthorView {
  keyId: string;
  name: string;
  owner: string;
}

export interface ScheduleView {
  id: number;
  project: string;
  /** The global id, `project.env`. */
  environment: string;
  flag: string;
  /** UTC, as toISOString writes it. */
  at: string;
  comment: string;
  status: ScheduleStatus;
  kind: 'config' | 'action' | 'rollout';
  config?: FlagConfig;
  baseVersion?: number;
  action?: 'enable' | 'disable';
  rollout?: { policy: string; treatment: string; control: string };
  author: ScheduleAuthorView;
  changeRequestId: string | null;
  approvedBy: ScheduleAuthorView | null;
  outcome: string | null;
  appliedVersion: number | null;
  rolloutId: number | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const STATUS_LABEL: Record<ScheduleStatus, string> = {
  scheduled: 'scheduled',
  'awaiting-approval': 'awaiting approval',
  applied: 'applied',
  cancelled: 'cancelled',
  conflicted: 'conflicted',
  expired: 'expired',
};

/** The chip's classes (globals.css `.badge` variants). */
export const STATUS_CLASS: Record<ScheduleStatus, string> = {
  scheduled: 'badge',
  'awaiting-approval': 'badge warn',
  applied: 'badge on',
  cancelled: 'badge off',
  conflicted: 'badge danger',
  expired: 'badge danger',
};

export const isPending = (s: ScheduleStatus) => PENDING.includes(s);

/** What the schedule does, in a phrase: "turn the flag on", "start a rollout of on against off (policy p)". */
export function actionPhrase(s: Pick<ScheduleView, 'kind' | 'action' | 'rollout' | 'baseVersion'>): string {
  if (s.kind === 'action') return s.action === 'enable' ? 'turn the flag on' : 'turn the flag off';
  if (s.kind === 'rollout' && s.rollout)
    return `start a rollout of ${s.rollout.treatment} against ${s.rollout.control} (policy ${s.rollout.policy})`;
  return `write a config (based on version ${s.baseVersion ?? '?'})`;
}
