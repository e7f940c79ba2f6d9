/**
 * What the load process records per request, in typed arrays (a 60 s spike is about half a
 * million requests: plain objects would cost the load process the CPU it must leave the server),
 * and the pure summaries over them: percentiles, per-status counts, k6-style thresholds.
 */

/** One row per request, in send order. `status` 0: no answer (connection error or timeout). */
export interface LoadRecords {
  count: number;
  /** Send time, seconds since the scenario's start. */
  at: Float64Array;
  /** Send -> last byte of the answer, milliseconds (k6's http_req_duration). */
  ms: Float32Array;
  status: Uint16Array;
  /** 1 when the answer carried a Retry-After header. */
  retryAfter: Uint8Array;
}

export function emptyRecords(capacity: number): LoadRecords {
  return {
    count: 0,
    at: new Float64Array(capacity),
    ms: new Float32Array(capacity),
    status: new Uint16Array(capacity),
    retryAfter: new Uint8Array(capacity),
  };
}

/** Nearest-rank percentile (`p` in 0..100) of ascending values; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Latencies of the rows that pass `keep`, sorted ascending. */
export function latencies(r: LoadRecords, keep: (i: number) => boolean): Float32Array {
  const out = new Float32Array(r.count);
  let n = 0;
  for (let i = 0; i < r.count; i++) if (keep(i)) out[n++] = r.ms[i]!;
  return out.subarray(0, n).sort();
}

/** A latency distribution in k6's summary terms (milliseconds, rounded to 0.01). */
export interface Distribution {
  count: number;
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);

export function distribution(sorted: Float32Array): Distribution {
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    avg: round(sorted.length === 0 ? Number.NaN : sum / sorted.length),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!),
  };
}

/** The runner's metrics, named as the k6 scripts name theirs, so one threshold list serves both. */
export interface LoadSummary {
  requests: number;
  /** Answers of any status per second of the run. */
  rps: number;
  dropped_iterations: number;
  status: Record<string, number>;
  http_req_duration: Distribution;
  /** 200 answers only: what a shed request must not hide. */
  admitted_duration: Distribution;
  /** Share of requests not answered 2xx or 429 (k6's http_req_failed with 429 expected). */
  http_req_failed: number;
  errors_5xx: number;
  /** No answer at all (status 0). */
  network_errors: number;
  shed_with_retry_after: number;
  shed_without_retry_after: number;
}

export function summarise(r: LoadRecords, seconds: number, dropped: number, expected429 = true): LoadSummary {
  const status: Record<string, number> = {};
  let failed = 0;
  let e5xx = 0;
  let network = 0;
  let shedWith = 0;
  let shedWithout = 0;
  for (let i = 0; i < r.count; i++) {
    const s = r.status[i]!;
    status[s] = (status[s] ?? 0) + 1;
    const ok = (s >= 200 && s < 300) || (expected429 && s === 429);
    if (!ok) failed++;
    if (s >= 500) e5xx++;
    if (s === 0) network++;
    if (s === 429) {
      if (r.retryAfter[i] === 1) shedWith++;
      else shedWithout++;
    }
  }
  return {
    requests: r.count,
    rps: Math.round(r.count / Math.max(seconds, 1e-9)),
    dropped_iterations: dropped,
    status,
    // No answer has no duration (status 0 counts in network_errors).
    http_req_duration: distribution(latencies(r, (i) => r.status[i] !== 0)),
    admitted_duration: distribution(latencies(r, (i) => r.status[i] === 200)),
    http_req_failed: r.count === 0 ? 0 : failed / r.count,
    errors_5xx: e5xx,
    network_errors: network,
    shed_with_retry_after: shedWith,
    shed_without_retry_after: shedWithout,
  };
}

/** One threshold's verdict: `metric` `expression` and the value it was checked against. */
export interface ThresholdResult {
  metric: string;
  expression: string;
  value: number;
  ok: boolean;
}

const THRESHOLD = /^\s*(p\((\d+(?:\.\d+)?)\)|avg|max|rate|count)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/**
 * k6's threshold expressions (`p(99)<10`, `rate<0.001`, `count==0`, `avg`, `max`) over the
 * summary. A distribution metric takes p(N), avg and max; a count takes count; a share takes rate.
 * An expression the runner cannot read, or a metric it does not measure, throws: a threshold
 * silently skipped would pass whatever the load did.
 */
export function checkThresholds(
  thresholds: Record<string, string[]>,
  values: Record<string, Distribution | number>,
  sortedOf: (metric: string) => Float32Array | undefined = () => undefined,
): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const [metric, expressions] of Object.entries(thresholds)) {
    const v = values[metric];
    if (v === undefined) throw new Error(`threshold on ${metric}: the runner does not measure it`);
    for (const expression of expressions) {
      const m = THRESHOLD.exec(expression);
      if (!m) throw new Error(`threshold ${metric}: cannot read ${JSON.stringify(expression)}`);
      const [, agg, pct, op, limitText] = m;
      let value: number;
      if (typeof v === 'number') {
        if (agg !== 'rate' && agg !== 'count') throw new Error(`threshold ${metric}: ${agg} of a count or rate`);
        value = v;
      } else if (pct !== undefined) {
        const sorted = sortedOf(metric);
        value = sorted === undefined ? nearestOf(v, Number(pct), metric) : percentile(sorted, Number(pct));
      } else if (agg === 'avg' || agg === 'max') {
        value = v[agg];
      } else {
        throw new Error(`threshold ${metric}: ${agg} of a latency distribution`);
      }
      out.push({ metric, expression, value, ok: compare(value, op!, Number(limitText)) });
    }
  }
  return out;
}

function nearestOf(d: Distribution, p: number, metric: string): number {
  if (p === 50) return d.p50;
  if (p === 90) return d.p90;
  if (p === 99) return d.p99;
  throw new Error(`threshold ${metric}: p(${p}) needs the samples (only p(50), p(90), p(99) are summarised)`);
}

function compare(value: number, op: string, limit: number): boolean {
  // NaN (no samples) passes nothing: an empty run must not meet a latency objective.
  if (Number.isNaN(value)) return false;
  switch (op) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '==':
      return value === limit;
    default:
      return value !== limit;
  }
}
