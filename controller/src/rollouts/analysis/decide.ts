/**
 * One analysis tick's decision, as a pure function of the policy, the rollout's counters and the
 * measurements, so it can be tested on recorded series and replayed from stored evidence.
 * docs/api.md (Rollouts, Decisions): threshold guards, a sequential test of treatment against
 * control, a sample-ratio-mismatch check; low traffic extends a step and never fails it; no data
 * is inconclusive, never a silent pass; approval gates never block a rollback.
 */
import type { ComparisonMetric, Policy, PolicyAction, ThresholdMetric } from '../policy/policy.ts';
import type { Measurement } from './measurement.ts';
import { sampleRatioMismatch, type SampleRatioResult } from './sample-ratio.ts';
import { compareProportions, type SequentialTestResult } from './sequential-test.ts';

export type Arm = 'treatment' | 'control';

/** A query as run: the resolved PromQL and what came back. */
export interface QueryEvidence {
  id: string;
  arm: Arm;
  query: string;
  measurement: Measurement;
  durationMs?: number;
}

/** Counters carried from tick to tick in the rollout row. */
export interface AnalysisCounters {
  failures: Record<string, number>;
  consecutiveFailures: Record<string, number>;
  /** Per metric, plus `traffic`. */
  consecutiveErrors: Record<string, number>;
}

export const EMPTY_COUNTERS: AnalysisCounters = { failures: {}, consecutiveFailures: {}, consecutiveErrors: {} };

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error' | 'skipped';

export interface MetricEvidence {
  name: string;
  kind: 'threshold' | 'comparison';
  dryRun: boolean;
  verdict: Verdict;
  /** Why, in words: "0.031 > max 0.02", "treatment has 40 of 100 samples", "no data". */
  detail: string;
  threshold: { min?: number; max?: number } | { alpha: number; maxIncrease: number };
  value?: number;
  statistic?: SequentialTestResult;
}

export type Decision = 'advance' | 'complete' | 'await-approval' | 'hold' | 'rollback' | 'pause';

export interface TickInput {
  policy: Policy;
  stepIndex: number;
  /** Epoch ms the current step began (its weight was applied). */
  stepStartedAt: number;
  now: number;
  counters: AnalysisCounters;
  /** The step index a human approved advancing past, if any. */
  approvedStep: number | undefined;
  /** Every query's answer, by id (see plannedQueries). */
  answers: Map<string, QueryEvidence>;
}

export interface TickDecision {
  decision: Decision;
  reason: string;
  metrics: MetricEvidence[];
  traffic: { treatment: Measurement; control: Measurement };
  srm: SampleRatioResult | undefined;
  counters: AnalysisCounters;
}

/** The id of a query in `answers`. */
export const queryId = (source: string, arm: Arm) => `${source}:${arm}`;

/**
 * The range a tick's queries cover: from half an interval after the step began, to now. The
 * counters' first samples after a weight change still hold the previous weight's traffic (scrape
 * interval, propagation), which would read as a sample-ratio mismatch; skipping the settling
 * half-interval keeps them out. Never shorter than half an interval.
 */
export function analysisWindowMs(policy: Policy, stepStartedAt: number, now: number): number {
  const settle = policy.analysis.interval / 2;
  return Math.max(settle, now - stepStartedAt - settle);
}

/** Which queries a tick needs, with their template: the worker resolves and runs them. */
export function plannedQueries(policy: Policy, stepIndex: number): Array<{ id: string; arm: Arm; template: string }> {
  const arms: Arm[] = policy.steps[stepIndex]!.weight >= 100 ? ['treatment'] : ['treatment', 'control'];
  const out: Array<{ id: string; arm: Arm; template: string }> = [];
  for (const arm of arms) out.push({ id: queryId('traffic', arm), arm, template: policy.traffic.query });
  for (const m of policy.metrics) {
    if (m.kind === 'threshold') out.push({ id: queryId(m.name, 'treatment'), arm: 'treatment', template: m.query });
    else if (arms.length === 2) {
      for (const arm of arms) {
        out.push({ id: queryId(`${m.name}.errors`, arm), arm, template: m.errorsQuery });
        out.push({ id: queryId(`${m.name}.total`, arm), arm, template: m.totalQuery });
      }
    }
  }
  return out;
}

const NO_ANSWER: Measurement = { kind: 'error', message: 'query was not run' };

/** Decides one tick. Pure: same input, same output. */
export function decideTick(input: TickInput): TickDecision {
  const { policy, stepIndex, now } = input;
  const step = policy.steps[stepIndex]!;
  const answer = (id: string) => input.answers.get(id)?.measurement ?? NO_ANSWER;
  const fullExposure = step.weight >= 100;
  const traffic = {
    treatment: answer(queryId('traffic', 'treatment')),
    control: fullExposure ? ({ kind: 'nodata' } as Measurement) : answer(queryId('traffic', 'control')),
  };
  const samples = (m: Measurement) => (m.kind === 'value' ? m.value : 0);
  const lowTraffic =
    samples(traffic.treatment) < step.minSamples || (!fullExposure && samples(traffic.control) < step.minSamples);

  const metrics = policy.metrics.map((m) =>
    m.kind === 'threshold'
      ? judgeThreshold(m, answer(queryId(m.name, 'treatment')), lowTraffic, samples(traffic.treatment), step.minSamples)
      : judgeComparison(m, answer, fullExposure, lowTraffic, policy, stepIndex),
  );

  // Counters move for live metrics only; a dry-run metric is recorded and never acts.
  const counters: AnalysisCounters = {
    failures: { ...input.counters.failures },
    consecutiveFailures: { ...input.counters.consecutiveFailures },
    consecutiveErrors: { ...input.counters.consecutiveErrors },
  };
  const bump = (r: Record<string, number>, k: string) => {
    r[k] = (r[k] ?? 0) + 1;
  };
  for (const e of metrics) {
    if (e.dryRun) continue;
    if (e.verdict === 'fail') {
      bump(counters.failures, e.name);
      bump(counters.consecutiveFailures, e.name);
    }
    // Only a pass breaks a run of failures: fail, no-data, fail is two in a row (flapping is not health).
    if (e.verdict === 'pass' || e.verdict === 'skipped') counters.consecutiveFailures[e.name] = 0;
    if (e.verdict === 'error') bump(counters.consecutiveErrors, e.name);
    else counters.consecutiveErrors[e.name] = 0;
  }
  if (traffic.treatment.kind === 'error' || traffic.control.kind === 'error')
    bump(counters.consecutiveErrors, 'traffic');
  else counters.consecutiveErrors.traffic = 0;

  // Exposures are only compared once the step has had time to settle into its new weight.
  const settled = now - input.stepStartedAt >= Math.max(step.minDuration, 2 * policy.analysis.interval);
  const srm =
    settled && !fullExposure && traffic.treatment.kind === 'value' && traffic.control.kind === 'value'
      ? sampleRatioMismatch(traffic.treatment.value, traffic.control.value, step.weight / 100, policy.srm.threshold)
      : undefined;

  const result = (decision: Decision, reason: string): TickDecision => ({
    decision,
    reason,
    metrics,
    traffic,
    srm,
    counters,
  });
  const act = (action: PolicyAction, reason: string) => result(action, reason);

  // 1. Failures past a metric's limits.
  for (const m of policy.metrics) {
    if (m.dryRun) continue;
    const failures = counters.failures[m.name] ?? 0;
    const row = counters.consecutiveFailures[m.name] ?? 0;
    if (failures > m.failureLimit || row > m.consecutiveFailureLimit) {
      const e = metrics.find((x) => x.name === m.name)!;
      return act(
        policy.onFailure,
        `metric ${m.name} failed (${e.detail}); ${failures} failure(s), ${row} in a row, limits ${m.failureLimit}/${m.consecutiveFailureLimit}`,
      );
    }
  }
  // 2. Sample-ratio mismatch: the comparison cannot be trusted.
  if (srm?.mismatch) {
    return act(
      policy.srm.action,
      `sample-ratio mismatch: treatment got ${(srm.observedTreatmentShare * 100).toFixed(2)}% of exposures, expected ${(srm.expectedTreatmentShare * 100).toFixed(3)}% (p=${srm.pValue.toExponential(2)})`,
    );
  }
  // 3. Provider errors in a row past a limit.
  const trafficErrors = counters.consecutiveErrors.traffic ?? 0;
  const errorLimit = Math.min(...policy.metrics.map((m) => m.consecutiveErrorLimit));
  if (trafficErrors > errorLimit)
    return act(policy.onError, `traffic query failed ${trafficErrors} times in a row: ${errorText(traffic)}`);
  for (const m of policy.metrics) {
    const row = counters.consecutiveErrors[m.name] ?? 0;
    if (!m.dryRun && row > m.consecutiveErrorLimit) {
      return act(
        policy.onError,
        `metric ${m.name}: provider error ${row} times in a row (${metrics.find((x) => x.name === m.name)!.detail})`,
      );
    }
  }
  // 4. Healthy, with enough samples and time: move on.
  const elapsed = now - input.stepStartedAt;
  const live = metrics.filter((e) => !e.dryRun);
  const allPass =
    live.every((e) => e.verdict === 'pass' || e.verdict === 'skipped') && traffic.treatment.kind === 'value';
  if (allPass && !lowTraffic && elapsed >= step.minDuration) {
    if (stepIndex === policy.steps.length - 1)
      return result('complete', `final step at ${step.weight}% healthy for ${Math.round(elapsed / 1000)}s`);
    if (step.approval && input.approvedStep !== stepIndex)
      return result(
        'await-approval',
        `step ${stepIndex + 1} (${step.weight}%) is healthy; advancing needs an approval`,
      );
    return result(
      'advance',
      `step ${stepIndex + 1} (${step.weight}%) healthy for ${Math.round(elapsed / 1000)}s with ${Math.round(samples(traffic.treatment))} treatment / ${Math.round(samples(traffic.control))} control samples`,
    );
  }
  // 5. Not yet healthy, and out of time for this step.
  const unsettled = live
    .filter((e) => e.verdict !== 'pass' && e.verdict !== 'skipped')
    .map((e) => `${e.name} ${e.detail}`);
  const reasons: string[] = [];
  if (lowTraffic)
    reasons.push(
      `low traffic: ${Math.round(samples(traffic.treatment))} treatment / ${Math.round(samples(traffic.control))} control samples of ${step.minSamples} needed`,
    );
  if (unsettled.length > 0) reasons.push(`inconclusive: ${unsettled.join('; ')}`);
  if (reasons.length === 0)
    reasons.push(`waiting for minDuration (${Math.round(elapsed / 1000)}s of ${Math.round(step.minDuration / 1000)}s)`);
  const why = reasons.join('; ');
  if (step.maxDuration !== undefined && elapsed > step.maxDuration && !(allPass && !lowTraffic)) {
    // Low traffic is never read as failure: at most a pause, whatever onInconclusive says.
    const action = lowTraffic ? 'pause' : policy.onInconclusive;
    return act(action, `step ${stepIndex + 1} exceeded maxDuration ${Math.round(step.maxDuration / 1000)}s; ${why}`);
  }
  return result('hold', why);
}

function errorText(traffic: { treatment: Measurement; control: Measurement }): string {
  const e = [traffic.treatment, traffic.control].find((m) => m.kind === 'error');
  return e?.kind === 'error' ? e.message : 'unknown';
}

function noDataVerdict(m: { noData: 'inconclusive' | 'fail' }): Verdict {
  return m.noData === 'fail' ? 'fail' : 'inconclusive';
}

function judgeThreshold(
  m: ThresholdMetric,
  value: Measurement,
  lowTraffic: boolean,
  samples: number,
  needed: number,
): MetricEvidence {
  const threshold: { min?: number; max?: number } = {};
  if (m.min !== undefined) threshold.min = m.min;
  if (m.max !== undefined) threshold.max = m.max;
  const base = { name: m.name, kind: 'threshold' as const, dryRun: m.dryRun, threshold };
  if (value.kind === 'error') return { ...base, verdict: 'error', detail: `provider error: ${value.message}` };
  if (value.kind === 'nodata') return { ...base, verdict: noDataVerdict(m), detail: 'no data' };
  const v = value.value;
  if (m.max !== undefined && v > m.max) {
    // A breach on too few samples is not yet evidence: hold, never fail on low traffic.
    if (lowTraffic)
      return {
        ...base,
        value: v,
        verdict: 'inconclusive',
        detail: `${fmt(v)} > max ${m.max} but only ${samples} of ${needed} samples`,
      };
    return { ...base, value: v, verdict: 'fail', detail: `${fmt(v)} > max ${m.max}` };
  }
  if (m.min !== undefined && v < m.min) {
    if (lowTraffic)
      return {
        ...base,
        value: v,
        verdict: 'inconclusive',
        detail: `${fmt(v)} < min ${m.min} but only ${samples} of ${needed} samples`,
      };
    return { ...base, value: v, verdict: 'fail', detail: `${fmt(v)} < min ${m.min}` };
  }
  return { ...base, value: v, verdict: 'pass', detail: `${fmt(v)} within ${m.min ?? '-inf'}..${m.max ?? '+inf'}` };
}

function judgeComparison(
  m: ComparisonMetric,
  answer: (id: string) => Measurement,
  fullExposure: boolean,
  lowTraffic: boolean,
  policy: Policy,
  stepIndex: number,
): MetricEvidence {
  const base = {
    name: m.name,
    kind: 'comparison' as const,
    dryRun: m.dryRun,
    threshold: { alpha: m.alpha, maxIncrease: m.maxIncrease },
  };
  if (fullExposure) return { ...base, verdict: 'skipped', detail: 'no control arm at 100%' };
  const parts = [
    answer(queryId(`${m.name}.errors`, 'treatment')),
    answer(queryId(`${m.name}.total`, 'treatment')),
    answer(queryId(`${m.name}.errors`, 'control')),
    answer(queryId(`${m.name}.total`, 'control')),
  ];
  const error = parts.find((x) => x.kind === 'error');
  if (error?.kind === 'error') return { ...base, verdict: 'error', detail: `provider error: ${error.message}` };
  // An errors query over a series that never fired is an empty vector: zero errors, if totals exist.
  const [et, tt, ec, tc] = parts.map((x) => (x.kind === 'value' ? x.value : undefined));
  if (tt === undefined || tc === undefined)
    return { ...base, verdict: noDataVerdict(m), detail: 'no data for the totals' };
  const step = policy.steps[stepIndex]!;
  const statistic = compareProportions(
    { errors: et ?? 0, total: tt },
    { errors: ec ?? 0, total: tc },
    {
      alpha: m.alpha,
      maxIncrease: m.maxIncrease,
      plannedSamples: Math.max(1_000, (step.minSamples * 2) / Math.max(0.01, step.weight / 100)),
    },
  );
  const detail = `treatment ${fmt(statistic.treatmentRate)} vs control ${fmt(statistic.controlRate)}; lower bound of the difference ${fmt(statistic.lowerBound)} vs allowed ${m.maxIncrease}`;
  // Below minSamples nothing fails, not even a sequence that already looks bad: the step extends.
  if (lowTraffic) return { ...base, statistic, verdict: 'inconclusive', detail: `low traffic; ${detail}` };
  if (statistic.verdict === 'fail') return { ...base, statistic, verdict: 'fail', detail };
  return { ...base, statistic, verdict: 'pass', detail };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
