/**
 * One analysis tick: read the rollout, resolve its policy's queries for this step and window,
 * ask Prometheus (all queries at once, each with the policy's timeout), decide, and hand the
 * decision with its evidence to the service, which applies it only if the rollout has not moved.
 * Recorded (docs/slo.md): the tick's lag against its interval, each query's outcome and duration,
 * and the decision once applied (a stale tick analysed nothing and counts nowhere).
 */
import {
  analysisWindowMs,
  decideTick,
  plannedQueries,
  promDuration,
  queryPrometheus,
  renderQuery,
  TICKING_STATUSES,
  type QueryEvidence,
  type RolloutService,
  type TickOutcome,
} from '@flagship/controller';
import { maskUrl } from '@flagship/evaluator/mask-url';
import type { WorkersMetrics } from '../metrics/workers-metrics.ts';
import { analysisQueryOutcome } from './analysis-query-outcome.ts';

/** What a tick records (WorkersMetrics). */
export type TickMetrics = Pick<WorkersMetrics, 'tickStarted' | 'analysisQuery' | 'rolloutDecision'>;

export interface TickDeps {
  rollouts: RolloutService;
  /** Used when the policy names no Prometheus address. */
  prometheusUrl: string;
  /** Values of `${env:NAME}` header references: resolved here, in the workers, per query. */
  secrets?: (name: string) => string | undefined;
  now?: () => number;
  /** Where ticks, queries and decisions are counted; omit to count nowhere. */
  metrics?: TickMetrics;
}

export async function runTick(
  deps: TickDeps,
  job: { rolloutId: number; tickSeq: number; dueAt: number },
): Promise<{ result: TickOutcome; lagMs: number }> {
  const now = deps.now ?? Date.now;
  const started = now();
  const lagMs = Math.max(0, started - job.dueAt);
  const r = await deps.rollouts.peek(job.rolloutId);
  if (!r || r.tickSeq !== job.tickSeq || !TICKING_STATUSES.includes(r.status)) return { result: 'stale', lagMs };
  const policy = r.policy;
  deps.metrics?.tickStarted(lagMs / 1000, policy.analysis.interval / 1000);
  // The window covers the current step after it settled, so counts are the step's own.
  const window = promDuration(analysisWindowMs(policy, Date.parse(r.stepStartedAt), started));
  const provider = { ...policy.analysis.prometheus, address: policy.analysis.prometheus.address ?? deps.prometheusUrl };
  const planned = plannedQueries(policy, r.stepIndex);
  const evidence = await Promise.all(
    planned.map(async (q): Promise<QueryEvidence> => {
      const query = renderQuery(q.template, {
        flag: r.flagKey,
        variant: q.arm === 'treatment' ? r.treatment : r.control,
        environment: r.environmentId,
        window,
      });
      const answer = await queryPrometheus(provider, query, started, deps.secrets);
      deps.metrics?.analysisQuery(analysisQueryOutcome(answer.measurement), answer.durationMs / 1000);
      return { id: q.id, arm: q.arm, query, measurement: answer.measurement, durationMs: answer.durationMs };
    }),
  );
  const decision = decideTick({
    policy,
    stepIndex: r.stepIndex,
    stepStartedAt: Date.parse(r.stepStartedAt),
    now: started,
    counters: r.counters,
    approvedStep: r.approvedStep ?? undefined,
    answers: new Map(evidence.map((e) => [e.id, e])),
  });
  const result = await deps.rollouts.applyTick(
    r,
    decision,
    {
      window,
      prometheus: maskUrl(provider.address),
      queries: evidence,
      metrics: decision.metrics,
      traffic: decision.traffic,
      srm: decision.srm ?? null,
    },
    lagMs,
  );
  if (result === 'applied') deps.metrics?.rolloutDecision(r.environmentId, decision.decision);
  return { result, lagMs };
}
