/**
 * The load runner's pure parts: the arrival schedule (k6's arrival-rate semantics), percentiles,
 * the summary, k6 threshold expressions, and the spike's verdicts on synthetic records.
 */
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../k6/scenarios.ts';
import { arrivalsDue, durationSeconds, rateSegments, scheduleSeconds, totalArrivals } from './arrival-schedule.ts';
import { checkThresholds, emptyRecords, type LoadRecords, percentile, summarise } from './load-records.ts';
import { analyseSpike } from './spike-analysis.ts';

describe('arrival schedule', () => {
  it('starts a constant rate evenly: 100/s is 30 by 0.3 s and 1,000 by 10 s', () => {
    const seg = rateSegments({
      executor: 'constant-arrival-rate',
      rate: 100,
      duration: '10s',
      preAllocatedVUs: 1,
      maxVUs: 1,
    });
    expect(arrivalsDue(seg, 0)).toBe(0);
    expect(arrivalsDue(seg, 0.3)).toBe(30);
    expect(arrivalsDue(seg, 10)).toBe(1000);
    expect(arrivalsDue(seg, 99)).toBe(1000);
  });

  it('ramps linearly (0 -> 100/s over 10 s is 500) and steps on zero-length stages', () => {
    const ramp = rateSegments({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      stages: [{ duration: '10s', target: 100 }],
      preAllocatedVUs: 1,
      maxVUs: 1,
    });
    expect(arrivalsDue(ramp, 5)).toBe(125);
    expect(totalArrivals(ramp)).toBe(500);
    const spike = rateSegments(scenarios.spike);
    const b = scenarios.spike.startRate;
    expect(scheduleSeconds(spike)).toBe(60);
    expect(arrivalsDue(spike, 20)).toBe(20 * b);
    expect(arrivalsDue(spike, 21)).toBe(20 * b + 10 * b);
    expect(totalArrivals(spike)).toBe(20 * b + 200 * b + 20 * b);
  });

  it('reads k6 durations and names a bad one', () => {
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(durationSeconds('2m')).toBe(120);
    expect(() => durationSeconds('20 seconds')).toThrow(/"20 seconds"/);
  });
});

/** Records from rows of [at s, ms, status, retryAfter]. */
function records(rows: [number, number, number, boolean?][]): LoadRecords {
  const r = emptyRecords(rows.length);
  for (const [at, ms, status, ra] of rows) {
    const i = r.count++;
    r.at[i] = at;
    r.ms[i] = ms;
    r.status[i] = status;
    r.retryAfter[i] = ra ? 1 : 0;
  }
  return r;
}

describe('summary and thresholds', () => {
  it('takes the nearest-rank percentile', () => {
    const sorted = Float32Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(new Float32Array(0), 99)).toBeNaN();
  });

  it('counts shed, 5xx and unanswered requests apart, and keeps shed ones out of the admitted latency', () => {
    const s = summarise(
      records([
        [0, 1, 200],
        [0, 2, 200],
        [0, 90, 429, true],
        [0, 0.5, 429, false],
        [0, 3, 503],
        [0, 0, 0],
      ]),
      1,
      4,
    );
    expect(s).toMatchObject({ requests: 6, dropped_iterations: 4, errors_5xx: 1, network_errors: 1 });
    expect(s.shed_with_retry_after).toBe(1);
    expect(s.shed_without_retry_after).toBe(1);
    expect(s.admitted_duration.max).toBe(2);
    expect(s.http_req_duration.max).toBe(90);
    expect(s.http_req_failed).toBeCloseTo(2 / 6);
  });

  it('checks k6 expressions, fails an empty latency, and refuses what it cannot check', () => {
    const d = { count: 3, avg: 5, p50: 4, p90: 8, p99: 12, max: 12 };
    const empty = { count: 0, avg: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN };
    const r = checkThresholds(
      { a: ['p(99)<10', 'avg<=5'], b: ['count==0'], c: ['rate<0.01'], e: ['p(99)<50'] },
      { a: d, b: 0, c: 0.02, e: empty },
    );
    expect(r.map((x) => x.ok)).toEqual([false, true, true, false, false]);
    expect(() => checkThresholds({ missing: ['count==0'] }, {})).toThrow(/does not measure/);
    expect(() => checkThresholds({ a: ['p99 < 10'] }, { a: d })).toThrow(/cannot read/);
  });
});

describe('spike verdicts', () => {
  /** 10/s baseline at 2 ms, a spike [20, 40) at 100/s with half shed and admitted at `spikeMs`, then `afterMs`. */
  function run(spikeMs: number, afterMs: (t: number) => number): LoadRecords {
    const rows: [number, number, number, boolean?][] = [];
    for (let t = 0; t < 20; t += 0.1) rows.push([t, 2, 200]);
    for (let t = 20; t < 40; t += 0.01) rows.push(Math.round(t * 100) % 2 ? [t, 1, 429, true] : [t, spikeMs, 200]);
    for (let t = 40; t < 60; t += 0.1) rows.push([t, afterMs(t), 200]);
    return records(rows);
  }
  const phases = { spikeStart: 20, spikeEnd: 40, end: 60 };

  it('reports rates, the admitted p99 and an immediate recovery', () => {
    const v = analyseSpike(
      run(30, () => 2),
      phases,
    );
    expect(v.baseline_rps).toBe(10);
    expect(v.spike_rps).toBe(100);
    expect(v.spike_admitted_rps).toBe(50);
    expect(v.admitted_p99_ms).toBe(30);
    expect(v.recovery_s).toBe(0);
  });

  it('measures a slow recovery from the step after which every window is back', () => {
    const v = analyseSpike(
      run(30, (t) => (t < 46 ? 40 : 2)),
      phases,
    );
    expect(v.recovery_s).toBe(6);
  });

  it('says -1 when latency never comes back, and is not fooled by one good second', () => {
    expect(
      analyseSpike(
        run(30, () => 40),
        phases,
      ).recovery_s,
    ).toBe(-1);
    const oneGoodSecond = (t: number) => ((t >= 42 && t < 43) || t >= 50 ? 2 : 40);
    expect(analyseSpike(run(30, oneGoodSecond), phases).recovery_s).toBe(10);
  });

  it('ignores a burst long after latency came back (it held for 3 s)', () => {
    const lateBurst = (t: number) => (t >= 52 && t < 53 ? 40 : 2);
    expect(analyseSpike(run(30, lateBurst), phases).recovery_s).toBe(0);
  });
});
