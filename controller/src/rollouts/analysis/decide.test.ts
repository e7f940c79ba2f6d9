/** Decision tests on recorded metric series: Prometheus answers as they come off the wire. */
import { describe, expect, it } from 'vitest';
import type { Policy } from '../policy/policy.ts';
import { validatePolicy } from '../policy/policy-schema.ts';
import {
  analysisWindowMs,
  decideTick,
  EMPTY_COUNTERS,
  plannedQueries,
  queryId,
  type AnalysisCounters,
  type QueryEvidence,
  type TickDecision,
} from './decide.ts';
import { readAnswer } from './prometheus-client.ts';

const checked = validatePolicy({
  name: 't',
  steps: [
    { weight: 10, minDuration: '30s', minSamples: 100, maxDuration: '5m' },
    { weight: 50, minDuration: '30s', minSamples: 100, approval: true },
    { weight: 100, minDuration: '30s' },
  ],
  analysis: { interval: '10s' },
  traffic: { query: 'req{v="{{variant}}"}' },
  metrics: [
    {
      name: 'err',
      kind: 'threshold',
      query: 'ratio{v="{{variant}}"}',
      max: 0.02,
      consecutiveFailureLimit: 1,
      failureLimit: 2,
    },
    {
      name: 'cmp',
      kind: 'comparison',
      errorsQuery: 'e{v="{{variant}}"}',
      totalQuery: 't{v="{{variant}}"}',
      alpha: 0.05,
    },
  ],
  onFailure: 'rollback',
  onInconclusive: 'pause',
  onError: 'pause',
});
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
const policy: Policy = checked.value;

// Prometheus answers, as recorded from /api/v1/query.
const vector = (v: string) => ({
  status: 'success',
  data: { resultType: 'vector', result: [{ metric: {}, value: [1700000000, v] }] },
});
const EMPTY = { status: 'success', data: { resultType: 'vector', result: [] } };
const NAN = vector('NaN');
const BAD = { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' };

type Recorded = Partial<Record<string, unknown>>;
/** A tick's answers: every planned query gets the recorded answer for its id, or a healthy default. */
function answersFor(stepIndex: number, recorded: Recorded): Map<string, QueryEvidence> {
  const healthy: Record<string, unknown> = {
    [queryId('traffic', 'treatment')]: vector(String([1000, 5000, 10000][stepIndex])),
    [queryId('traffic', 'control')]: vector(String([9000, 5000, 0][stepIndex])),
    [queryId('err', 'treatment')]: vector('0.01'),
    [queryId('cmp.errors', 'treatment')]: vector('10'),
    [queryId('cmp.total', 'treatment')]: vector('1000'),
    [queryId('cmp.errors', 'control')]: vector('90'),
    [queryId('cmp.total', 'control')]: vector('9000'),
  };
  const map = new Map<string, QueryEvidence>();
  for (const q of plannedQueries(policy, stepIndex)) {
    const raw = q.id in recorded ? recorded[q.id] : healthy[q.id];
    map.set(q.id, { id: q.id, arm: q.arm, query: q.template, measurement: readAnswer(200, raw) });
  }
  return map;
}

/** Replays a series of ticks 10 s apart on one step, carrying counters; returns every decision. */
function replay(series: Recorded[], stepIndex = 0, approvedStep?: number): TickDecision[] {
  let counters: AnalysisCounters = EMPTY_COUNTERS;
  return series.map((recorded, i) => {
    const d = decideTick({
      policy,
      stepIndex,
      stepStartedAt: 0,
      now: 10_000 * (i + 1),
      counters,
      approvedStep,
      answers: answersFor(stepIndex, recorded),
    });
    counters = d.counters;
    return d;
  });
}

describe('reading Prometheus answers', () => {
  it('maps vectors, scalars, empty vectors, NaN and errors', () => {
    expect(readAnswer(200, vector('0.5'))).toEqual({ kind: 'value', value: 0.5 });
    expect(readAnswer(200, { status: 'success', data: { resultType: 'scalar', result: [1, '3'] } })).toEqual({
      kind: 'value',
      value: 3,
    });
    expect(readAnswer(200, EMPTY)).toEqual({ kind: 'nodata' });
    expect(readAnswer(200, NAN)).toEqual({ kind: 'nodata' });
    expect(readAnswer(200, vector('+Inf'))).toEqual({ kind: 'nodata' });
    expect(readAnswer(400, BAD)).toEqual({ kind: 'error', message: 'HTTP 400: bad_data: parse error at char 3' });
    expect(readAnswer(200, { status: 'success', data: { resultType: 'matrix', result: [] } })).toMatchObject({
      kind: 'error',
    });
    expect(readAnswer(200, null)).toMatchObject({ kind: 'error' });
  });
});

describe('decideTick on recorded series', () => {
  it('healthy: holds until minDuration, then advances', () => {
    const d = replay([{}, {}, {}]);
    expect(d.map((x) => x.decision)).toEqual(['hold', 'hold', 'advance']);
    expect(d[0]!.reason).toMatch(/minDuration/);
    expect(d[2]!.metrics.map((m) => m.verdict)).toEqual(['pass', 'pass']);
  });

  it('a breach on the error guard rolls back only past its limits (2 in a row)', () => {
    const bad = { [queryId('err', 'treatment')]: vector('0.08') };
    const d = replay([bad, bad]);
    expect(d.map((x) => x.decision)).toEqual(['hold', 'rollback']);
    expect(d[1]!.reason).toMatch(/metric err failed \(0\.08000 > max 0\.02\)/);
  });

  it('flapping: fail, no data, fail counts as two in a row; pass resets the run; total limit still applies', () => {
    const bad = { [queryId('err', 'treatment')]: vector('0.08') };
    const gap = { [queryId('err', 'treatment')]: EMPTY };
    expect(replay([bad, gap, bad]).map((x) => x.decision)).toEqual(['hold', 'hold', 'rollback']);
    // bad, pass, bad, pass, bad: never two in a row, but 3 failures > failureLimit 2.
    // (In a real rollout tick 4 advances to the next step; the replay keeps the step to count.)
    expect(replay([bad, {}, bad, {}, bad]).map((x) => x.decision)).toEqual([
      'hold',
      'hold',
      'hold',
      'advance',
      'rollback',
    ]);
  });

  it('empty vectors and NaN are inconclusive: the step holds, and pauses after maxDuration', () => {
    const nodata = { [queryId('err', 'treatment')]: NAN, [queryId('cmp.total', 'treatment')]: EMPTY };
    const series = Array.from({ length: 31 }, () => nodata);
    const d = replay(series);
    expect(d.slice(0, 30).every((x) => x.decision === 'hold')).toBe(true);
    expect(d[0]!.metrics.map((m) => m.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(d[30]!.decision).toBe('pause');
    expect(d[30]!.reason).toMatch(/exceeded maxDuration/);
  });

  it('low traffic holds and never fails, even with a terrible error ratio', () => {
    const quiet = {
      [queryId('traffic', 'treatment')]: vector('20'),
      [queryId('traffic', 'control')]: vector('180'),
      [queryId('err', 'treatment')]: vector('0.5'),
      [queryId('cmp.errors', 'treatment')]: vector('10'),
      [queryId('cmp.total', 'treatment')]: vector('20'),
    };
    const d = replay(Array.from({ length: 40 }, () => quiet));
    // Held for the step's maxDuration (5 min = 30 ticks), then paused, never rolled back.
    expect(d.slice(0, 30).every((x) => x.decision === 'hold')).toBe(true);
    expect(d.slice(30).every((x) => x.decision === 'pause')).toBe(true);
    expect(d[30]!.reason).toMatch(/low traffic: 20 treatment \/ 180 control samples of 100 needed/);
    expect(d[0]!.metrics.map((m) => m.verdict)).toEqual(['inconclusive', 'inconclusive']);
    // Even a policy whose onInconclusive is rollback only pauses on low traffic.
    const strict: Policy = { ...policy, onInconclusive: 'rollback' };
    const late = decideTick({
      policy: strict,
      stepIndex: 0,
      stepStartedAt: 0,
      now: 400_000,
      counters: EMPTY_COUNTERS,
      approvedStep: undefined,
      answers: answersFor(0, quiet),
    });
    expect(late.decision).toBe('pause');
    const noDataLate = decideTick({
      policy: strict,
      stepIndex: 0,
      stepStartedAt: 0,
      now: 400_000,
      counters: EMPTY_COUNTERS,
      approvedStep: undefined,
      answers: answersFor(0, { [queryId('err', 'treatment')]: EMPTY }),
    });
    expect(noDataLate.decision).toBe('rollback');
  });

  it('provider errors: pause after more than consecutiveErrorLimit (2) in a row, never advance', () => {
    const down = Object.fromEntries(plannedQueries(policy, 0).map((q) => [q.id, BAD]));
    const d = replay([down, down, down, down]);
    expect(d.map((x) => x.decision)).toEqual(['hold', 'hold', 'pause', 'pause']);
    expect(d[2]!.reason).toMatch(/traffic query failed 3 times in a row: HTTP 200: bad_data: parse error/);
  });

  it('the comparison catches a treatment worse than control', () => {
    const worse = {
      [queryId('cmp.errors', 'treatment')]: vector('60'),
      [queryId('err', 'treatment')]: vector('0.019'),
    };
    const d = replay([worse]);
    expect(d[0]!.decision).toBe('rollback');
    expect(d[0]!.metrics[1]).toMatchObject({ name: 'cmp', verdict: 'fail' });
    expect(d[0]!.metrics[1]!.statistic!.lowerBound).toBeGreaterThan(0);
  });

  it('a sample-ratio mismatch pauses, once the step has settled (not on its first ticks)', () => {
    const skewed = {
      [queryId('traffic', 'treatment')]: vector('1500'),
      [queryId('traffic', 'control')]: vector('8500'),
    };
    const d = replay([skewed, skewed, skewed]);
    // 10 s and 20 s into a step with a 30 s minDuration: the counters may still hold the old weight.
    expect(d.slice(0, 2).map((x) => x.decision)).toEqual(['hold', 'hold']);
    expect(d[0]!.srm).toBeUndefined();
    expect(d[2]!.decision).toBe('pause');
    expect(d[2]!.srm).toMatchObject({ mismatch: true });
  });

  it('the analysis window skips the first half-interval of a step', () => {
    expect(analysisWindowMs(policy, 0, 10_000)).toBe(5_000);
    expect(analysisWindowMs(policy, 0, 60_000)).toBe(55_000);
  });

  it('an approval gate holds a healthy step until approved, but never blocks a rollback', () => {
    expect(replay([{}, {}, {}], 1).map((x) => x.decision)).toEqual(['hold', 'hold', 'await-approval']);
    expect(replay([{}, {}, {}], 1, 1).map((x) => x.decision)).toEqual(['hold', 'hold', 'advance']);
    const bad = { [queryId('err', 'treatment')]: vector('0.5') };
    expect(replay([bad, bad], 1).map((x) => x.decision)).toEqual(['hold', 'rollback']);
  });

  it('at 100% there is no control: the comparison is skipped and a healthy step completes', () => {
    expect(plannedQueries(policy, 2).map((q) => q.id)).toEqual(['traffic:treatment', 'err:treatment']);
    const d = replay([{}, {}, {}], 2);
    expect(d.map((x) => x.decision)).toEqual(['hold', 'hold', 'complete']);
    expect(d[2]!.metrics[1]).toMatchObject({ verdict: 'skipped' });
  });

  it('a dry-run metric is recorded but never acts', () => {
    const dry: Policy = {
      ...policy,
      metrics: policy.metrics.map((m) => (m.name === 'err' ? { ...m, dryRun: true } : m)),
    };
    const bad = { [queryId('err', 'treatment')]: vector('0.9') };
    let counters = EMPTY_COUNTERS;
    const decisions = [1, 2, 3].map((i) => {
      const d = decideTick({
        policy: dry,
        stepIndex: 0,
        stepStartedAt: 0,
        now: 10_000 * i,
        counters,
        approvedStep: undefined,
        answers: answersFor(0, bad),
      });
      counters = d.counters;
      return d;
    });
    expect(decisions.map((d) => d.decision)).toEqual(['hold', 'hold', 'advance']);
    expect(decisions[2]!.metrics[0]).toMatchObject({ verdict: 'fail', dryRun: true });
  });
});
