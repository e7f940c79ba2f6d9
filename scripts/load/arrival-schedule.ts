/**
 * The arrival schedule of k6's arrival-rate executors, as a pure function of time: how many
 * iterations must have started `t` seconds into the scenario. The rate is piecewise linear (k6's
 * stages ramp linearly from the previous target; a zero-length stage is a step), so the count is
 * the integral of the rate, floored. The load process asks it every millisecond and starts what is
 * due, whatever the answers take: an open model, so an overloaded server shows as shedding and
 * latency, not as a politely slower client.
 */
import type { ArrivalExecutor } from '../../k6/scenarios.ts';

/** A rate segment: from `start` s for `length` s, the rate going linearly from `from` to `to` per second. */
export interface RateSegment {
  start: number;
  length: number;
  from: number;
  to: number;
}

/** Seconds in a k6 duration string (`20s`, `500ms`, `2m`); throws naming the bad value. */
export function durationSeconds(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`duration must look like 20s, 500ms or 2m, got ${JSON.stringify(d)}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

/** The rate segments of an arrival-rate executor. */
export function rateSegments(e: ArrivalExecutor): RateSegment[] {
  if (e.executor === 'constant-arrival-rate') {
    return [{ start: 0, length: durationSeconds(e.duration), from: e.rate, to: e.rate }];
  }
  const out: RateSegment[] = [];
  let start = 0;
  let from = e.startRate;
  for (const s of e.stages) {
    const length = durationSeconds(s.duration);
    if (length > 0) out.push({ start, length, from, to: s.target });
    start += length;
    from = s.target;
  }
  return out;
}

/** The schedule's length in seconds. */
export function scheduleSeconds(segments: RateSegment[]): number {
  const last = segments[segments.length - 1];
  return last === undefined ? 0 : last.start + last.length;
}

/** Iterations due by `t` seconds: the rate's integral from 0 to t, floored (t past the end: all of them). */
export function arrivalsDue(segments: RateSegment[], t: number): number {
  let sum = 0;
  for (const s of segments) {
    if (t <= s.start) break;
    const x = Math.min(t - s.start, s.length);
    // Area of a trapezoid: the rate at x is from + (to - from) * x / length.
    sum += s.from * x + ((s.to - s.from) * x * x) / (2 * s.length);
  }
  // The epsilon keeps 100/s * 0.3 s = 29.999... from losing an arrival to rounding.
  return Math.floor(sum + 1e-9);
}

/** Every iteration of the schedule. */
export function totalArrivals(segments: RateSegment[]): number {
  return arrivalsDue(segments, scheduleSeconds(segments));
}

/** The rate (per second) at `t` seconds: what a per-second summary compares its count with. */
export function rateAt(segments: RateSegment[], t: number): number {
  for (const s of segments) {
    if (t >= s.start && t < s.start + s.length) return s.from + ((s.to - s.from) * (t - s.start)) / s.length;
  }
  return 0;
}
