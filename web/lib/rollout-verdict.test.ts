/**
 * The verdict sentence over evidence the controller's own decision function produced (the same
 * shapes the workers store, through a JSON round trip as the API sends them).
 */
import { describe, expect, it } from 'vitest';
import { decideTick, EMPTY_COUNTERS, plannedQueries, queryId, validatePolicy } from '@flagship/controller';
import type { RolloutDetail, TickView } from './rollout-types.ts';
import { clock, points, rollbackFacts, statusLabel, verdictSentence } from './rollout-verdict.ts';

const checked = validatePolicy({
  name: 'guarded',
  steps: [
    { weight: 10, minDuration: '10s', minSamples: 100 },
    { weight: 100, minDuration: '10s' },
  ],
  analysis: { interval: '5s' },
  traffic: { query: 'sum(req{variant="{{variant}}"})' },
  metrics: [
    { name: 'error-ratio', kind: 'threshold', query: 'err{variant="{{variant}}"}', max: 0.02 },
    {
      name: 'errors-vs-control',
      kind: 'comparison',
      errorsQuery: 'e{variant="{{variant}}"}',
      totalQuery: 't{variant="{{variant}}"}',
      alpha: 0.05,
      maxIncrease: 0.01,
    },
  ],
  onFailure: 'rollback',
  onInconclusive: 'pause',
  onError: 'pause',
});
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
const policy = checked.value;

/** A tick as run-tick.ts stores it, decided by decideTick on these raw values. */
function tick(seq: number, at: string, values: Record<string, number>): TickView {
  const answers = new Map(
    plannedQueries(policy, 0).map((q) => [
      q.id,
      { id: q.id, arm: q.arm, query: q.template, measurement: { kind: 'value' as const, value: values[q.id] ?? 0 } },
    ]),
  );
  const start = Date.parse('2026-12-02T14:00:00Z');
  const d = decideTick({
    policy,
    stepIndex: 0,
    stepStartedAt: start,
    now: Date.parse(at),
    counters: EMPTY_COUNTERS,
    approvedStep: undefined,
    answers,
  });
  const evidence = {
    window: '60s',
    prometheus: 'http://127.0.0.1:9090',
    queries: [...answers.values()],
    metrics: d.metrics,
    traffic: d.traffic,
    srm: d.srm ?? null,
  };
  return JSON.parse(
    JSON.stringify({
      rolloutId: 7,
      seq,
      at,
      stepIndex: 0,
      weightUnits: 10_000,
      decision: d.decision,
      reason: d.reason,
      evidence,
      lagMs: 3,
    }),
  ) as TickView;
}

const failing = {
  [queryId('traffic', 'treatment')]: 1_000,
  [queryId('traffic', 'control')]: 9_000,
  [queryId('error-ratio', 'treatment')]: 0.061,
  [queryId('errors-vs-control.errors', 'treatment')]: 61,
  [queryId('errors-vs-control.total', 'treatment')]: 1_000,
  [queryId('errors-vs-control.errors', 'control')]: 36,
  [queryId('errors-vs-control.total', 'control')]: 9_000,
};

function detail(over: Partial<RolloutDetail>): RolloutDetail {
  return {
    id: 7,
    project: 'shop',
    environment: 'shop.prod',
    flag: 'checkout',
    policy: 'guarded',
    treatment: 'on',
    control: 'off',
    status: 'running',
    step: 1,
    steps: 2,
    weightPercent: 10,
    stepStartedAt: '2026-12-02T14:00:00.000Z',
    nextTickAt: '2026-12-02T14:02:15.000Z',
    approvedStep: null,
    lastReason: null,
    version: 3,
    createdBy: 'eddie',
    createdAt: '2026-12-02T14:00:00.000Z',
    updatedAt: '2026-12-02T14:02:10.000Z',
    policyDocument: policy,
    timeline: [],
    ticks: [],
    ...over,
  };
}

describe('the verdict sentence', () => {
  it('a rollback names the tick, the breached guard with both arms, and the sequential bound from the evidence', () => {
    const t = tick(14, '2026-12-02T14:02:10.000Z', failing);
    expect(t.decision).toBe('rollback');
    const cmp = t.evidence!.metrics!.find((m) => m.name === 'errors-vs-control')!;
    const lb = cmp.statistic!.lowerBound!;
    expect(lb).toBeGreaterThan(0.01);
    const r = detail({
      status: 'rolled-back',
      weightPercent: 0,
      ticks: [t, tick(13, '2026-12-02T14:02:05.000Z', { ...failing, [queryId('error-ratio', 'treatment')]: 0.01 })],
      timeline: [
        {
          rolloutId: 7,
          at: '2026-12-02T14:00:00.000Z',
          kind: 'started',
          actor: 'eddie',
          stepIndex: 0,
          weightUnits: 10_000,
          reason: null,
        },
        {
          rolloutId: 7,
          at: '2026-12-02T14:02:10.000Z',
          kind: 'rolled-back',
          actor: 'rollout-controller',
          stepIndex: 0,
          weightUnits: 0,
          reason: t.reason,
        },
      ],
    });
    expect(verdictSentence(r)).toBe(
      `Rolled back at 14:02:10 UTC by tick 14: treatment error-ratio 6.1% exceeded the 2% guard (control 0.4%); ` +
        `errors-vs-control: treatment 6.1% vs control 0.4%; the sequential test's lower bound of the difference, ` +
        `+${(lb * 100).toFixed(1)} points, was above the allowed +1 point.`,
    );
  });

  it('a threshold breach alone cites the passing comparison bound only when it is above 0', () => {
    // The comparison passes (bound below the allowed 1 point) but the threshold fails.
    const values = {
      ...failing,
      [queryId('errors-vs-control.errors', 'treatment')]: 30,
      [queryId('errors-vs-control.errors', 'control')]: 230,
    };
    const t = tick(3, '2026-12-02T14:01:00.000Z', values);
    expect(t.decision).toBe('rollback');
    const s = verdictSentence(detail({ status: 'rolled-back', ticks: [t] }));
    expect(s).toMatch(
      /^Rolled back at 14:01:00 UTC by tick 3: treatment error-ratio 6.1% exceeded the 2% guard \(control 2\.56%\)/,
    );
    expect(s).not.toMatch(/sequential/);
  });

  it('running, paused by a person, aborted and completed say who and where', () => {
    const healthy = tick(2, '2026-12-02T14:00:20.000Z', {
      ...failing,
      [queryId('error-ratio', 'treatment')]: 0.004,
      [queryId('errors-vs-control.errors', 'treatment')]: 4,
    });
    expect(verdictSentence(detail({ ticks: [healthy] }))).toBe(
      `Running at step 1 of 2 (10%); tick 2 at 14:00:20 UTC decided ${healthy.decision}: ${healthy.reason}.`,
    );
    const paused = detail({
      status: 'paused',
      timeline: [
        {
          rolloutId: 7,
          at: '2026-12-02T14:03:00.000Z',
          kind: 'paused',
          actor: 'sre@example.com',
          stepIndex: 0,
          weightUnits: 10_000,
          reason: 'incident 42',
        },
      ],
    });
    expect(verdictSentence(paused)).toBe(
      'Paused at 14:03:00 UTC by sre@example.com (“incident 42”) at step 1 of 2 (10%).',
    );
    expect(
      verdictSentence(
        detail({
          status: 'aborted',
          timeline: [
            {
              rolloutId: 7,
              at: '2026-12-02T14:04:00.000Z',
              kind: 'aborted',
              actor: 'eddie',
              stepIndex: 0,
              weightUnits: 0,
              reason: null,
            },
          ],
        }),
      ),
    ).toBe('Aborted at 14:04:00 UTC by eddie at step 1 of 2; everyone is back on off.');
    expect(verdictSentence(detail({ status: 'completed', ticks: [healthy] }))).toBe(
      'Completed: on serves 100% after 2 steps and 1 ticks.',
    );
  });

  it('the review facts: the first failing tick since the run began, and the time to the revert', () => {
    const ok = tick(1, '2026-12-02T14:00:30.000Z', {
      ...failing,
      [queryId('error-ratio', 'treatment')]: 0.004,
      [queryId('errors-vs-control.errors', 'treatment')]: 4,
    });
    const bad = tick(2, '2026-12-02T14:00:35.000Z', failing);
    const r = detail({
      status: 'rolled-back',
      ticks: [bad, ok],
      timeline: [
        {
          rolloutId: 7,
          at: '2026-12-02T14:00:00.000Z',
          kind: 'started',
          actor: 'eddie',
          stepIndex: 0,
          weightUnits: 10_000,
          reason: null,
        },
        {
          rolloutId: 7,
          at: '2026-12-02T14:00:36.500Z',
          kind: 'rolled-back',
          actor: 'rollout-controller',
          stepIndex: 0,
          weightUnits: 0,
          reason: bad.reason,
        },
      ],
    });
    expect(rollbackFacts(r)).toEqual({
      firstFailure: { at: bad.at, seq: 2, metric: 'error-ratio' },
      endedAt: '2026-12-02T14:00:36.500Z',
      firstFailureToEndMs: 1_500,
    });
  });

  it('small helpers', () => {
    expect(clock('2026-12-02T09:08:07.123Z')).toBe('09:08:07 UTC');
    expect(points(0.039)).toBe('+3.9 points');
    expect(points(-0.0012)).toBe('-0.12 points');
    expect(statusLabel({ status: 'running', weightPercent: 25 })).toBe('running at 25%');
    expect(statusLabel({ status: 'awaiting-approval', weightPercent: 25 })).toBe('awaiting approval');
  });
});
