/** A rollout as the database holds it: the truth the BullMQ jobs merely trigger. */
import type { Policy } from './policy/policy.ts';
import type { AnalysisCounters, Decision } from './analysis/decide.ts';

/**
 * - running: ticking; advances when healthy.
 * - awaiting-approval: healthy at a gated step; still ticking, so a failure still rolls back.
 * - paused: no ticks until resumed. rolled-back / aborted: treatment at 0%; retry starts over.
 * - completed: treatment at 100%.
 */
export type RolloutStatus = 'running' | 'awaiting-approval' | 'paused' | 'rolled-back' | 'aborted' | 'completed';

export const ACTIVE_STATUSES: readonly RolloutStatus[] = ['running', 'awaiting-approval', 'paused'];
export const TICKING_STATUSES: readonly RolloutStatus[] = ['running', 'awaiting-approval'];

export interface RolloutRecord {
  id: number;
  projectKey: string;
  environmentId: string;
  flagKey: string;
  policyName: string;
  /** The policy as it was when the rollout started: editing the file never changes a running rollout. */
  policy: Policy;
  treatment: string;
  control: string;
  status: RolloutStatus;
  stepIndex: number;
  stepStartedAt: string;
  /** Treatment exposure now, in the engine's units of 0.001% (0..100000). */
  weightUnits: number;
  /** Sequence number of the next analysis tick; a job for another number is stale. */
  tickSeq: number;
  nextTickAt: string;
  approvedStep: number | null;
  counters: AnalysisCounters;
  lastReason: string | null;
  /** Guards every transition: an update must name the version it read. */
  version: number;
  createdBy: string;
  /** The owner of the key that asked for the current run (start or retry): it may not approve its gates. */
  requestedByOwner: string;
  createdAt: string;
  updatedAt: string;
}

/** One analysis tick's evidence: what was asked, what came back, and what was decided. */
export interface TickRecord {
  rolloutId: number;
  seq: number;
  at: string;
  stepIndex: number;
  weightUnits: number;
  decision: Decision;
  reason: string;
  /** Resolved queries with raw values, per-metric verdicts with thresholds and statistics, SRM. */
  evidence: unknown;
  /** How late the tick ran against its schedule (ms). */
  lagMs: number;
}

/** A transition in the rollout's life, human or automated. */
export interface RolloutEvent {
  rolloutId: number;
  at: string;
  kind:
    | 'started'
    | 'advanced'
    | 'awaiting-approval'
    | 'approved'
    | 'paused'
    | 'resumed'
    | 'rolled-back'
    | 'aborted'
    | 'completed'
    | 'retried';
  actor: string;
  stepIndex: number;
  weightUnits: number;
  reason: string | null;
}
