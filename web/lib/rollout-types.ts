/**
 * What the console reads of the rollout API's answers (docs/api.md "Rollouts"): the list view,
 * the detail with its timeline and every tick's evidence as the workers stored it
 * (workers/src/rollouts/run-tick.ts, controller/src/rollouts/analysis/decide.ts). Types only.
 * Numbers the JSON could not hold (an infinite bound before any sample) arrive as null.
 */

export type RolloutStatus = 'running' | 'awaiting-approval' | 'paused' | 'rolled-back' | 'aborted' | 'completed';
export const ROLLOUT_STATUSES: readonly RolloutStatus[] = [
  'running',
  'awaiting-approval',
  'paused',
  'rolled-back',
  'aborted',
  'completed',
];

/** An item of GET /rollouts (and the head of GET /rollouts/{id}). */
export interface RolloutView {
  id: number;
  project: string;
  environment: string;
  flag: string;
  policy: string;
  treatment: string;
  control: string;
  status: RolloutStatus;
  step: number;
  steps: number;
  weightPercent: number;
  stepStartedAt: string;
  nextTickAt: string;
  approvedStep: number | null;
  lastReason: string | null;
  version: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export type Measurement = { kind: 'value'; value: number } | { kind: 'nodata' } | { kind: 'error'; message: string };

export interface QueryEvidence {
  id: string;
  arm: 'treatment' | 'control';
  query: string;
  measurement: Measurement;
  durationMs?: number;
}

export interface SequentialStatistic {
  difference: number | null;
  lowerBound: number | null;
  radius: number | null;
  treatmentRate: number;
  controlRate: number;
  verdict: 'pass' | 'fail';
}

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error' | 'skipped';

export interface MetricEvidence {
  name: string;
  kind: 'threshold' | 'comparison';
  dryRun: boolean;
  verdict: Verdict;
  detail: string;
  threshold: { min?: number; max?: number; alpha?: number; maxIncrease?: number };
  value?: number;
  statistic?: SequentialStatistic;
}

export interface SrmEvidence {
  chiSquare: number;
  pValue: number;
  expectedTreatmentShare: number;
  observedTreatmentShare: number;
  mismatch: boolean;
}

export interface TickEvidence {
  window?: string;
  prometheus?: string;
  queries?: QueryEvidence[];
  metrics?: MetricEvidence[];
  traffic?: { treatment: Measurement; control: Measurement };
  srm?: SrmEvidence | null;
}

export type TickDecision = 'advance' | 'complete' | 'await-approval' | 'hold' | 'rollback' | 'pause';

export interface TickView {
  rolloutId: number;
  seq: number;
  at: string;
  stepIndex: number;
  weightUnits: number;
  decision: TickDecision;
  reason: string;
  evidence: TickEvidence | null;
  lagMs: number;
}

export interface RolloutEventView {
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

export interface PolicyStepView {
  weight: number;
  minDuration: number;
  minSamples: number;
  maxDuration?: number;
  approval: boolean;
}

export interface PolicyMetricView {
  name: string;
  kind: 'threshold' | 'comparison';
  dryRun: boolean;
  query?: string;
  errorsQuery?: string;
  totalQuery?: string;
  min?: number;
  max?: number;
  alpha?: number;
  maxIncrease?: number;
}

/** A policy as GET /policies and a rollout's `policyDocument` show it. */
export interface PolicyView {
  name: string;
  description?: string;
  steps: PolicyStepView[];
  analysis: { interval: number; initialDelay: number };
  traffic: { query: string };
  srm: { threshold: number; action: string };
  metrics: PolicyMetricView[];
  onFailure: string;
  onInconclusive: string;
  onError: string;
}

/** GET /rollouts/{id}. */
export interface RolloutDetail extends RolloutView {
  policyDocument: PolicyView;
  timeline: RolloutEventView[];
  /** Newest first, as the API sends them (at most 1,000). */
  ticks: TickView[];
}
