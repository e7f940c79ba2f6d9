/**
 * The time range of an impact query: `from`, `to` (unix seconds or ISO-8601) and `step` (whole
 * seconds or a duration such as `5m`), bounded like Prometheus bounds a range query, so that a
 * request is refused with the parameter's name here rather than by Prometheus.
 */
import { badRequest } from '../errors/domain-errors.ts';

/** Prometheus refuses range queries of more points per series than this. */
export const MAX_POINTS = 11_000;
/** Without `from`: this far before `to`. */
export const DEFAULT_SPAN_SECONDS = 3_600;
/** Without `step`: about this many points over the range. */
export const DEFAULT_POINTS = 300;

export interface ImpactRange {
  /** Unix seconds (millisecond precision). */
  from: number;
  to: number;
  /** Whole seconds. */
  step: number;
}

const refuse = (param: string, message: string) =>
  badRequest(`query parameter ${param} is malformed`, [{ path: `query.${param}`, message }], 'INVALID_PARAMETER');

function parseTime(raw: string, param: string): number {
  if (/^[0-9]{1,11}(\.[0-9]{1,3})?$/.test(raw)) return Number(raw);
  // ISO-8601 with a date and a time: Date.parse also takes "2025" or "May 1", which no client means.
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) throw refuse(param, 'must be unix seconds or an ISO-8601 time (2025-05-01T12:00:00Z)');
  return ms / 1000;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

function parseStep(raw: string): number {
  const m = /^([0-9]{1,7})(s|m|h|d)?$/.exec(raw);
  if (!m) throw refuse('step', 'must be whole seconds or a duration such as 30s, 5m, 1h');
  return Number(m[1]) * UNIT_SECONDS[m[2] ?? 's']!;
}

/** The range a request asks for, or 400 naming the parameter. */
export function parseImpactRange(q: { from?: string; to?: string; step?: string }, nowSeconds: number): ImpactRange {
  const to = q.to === undefined ? Math.floor(nowSeconds) : parseTime(q.to, 'to');
  const from = q.from === undefined ? to - DEFAULT_SPAN_SECONDS : parseTime(q.from, 'from');
  if (to < from) throw refuse('to', 'must not be before from');
  const step = q.step === undefined ? Math.max(1, Math.ceil((to - from) / DEFAULT_POINTS)) : parseStep(q.step);
  if (step < 1) throw refuse('step', 'must be at least 1 second');
  const points = pointCount({ from, to, step });
  if (points > MAX_POINTS)
    throw refuse(
      'step',
      `would give ${points} points per series; at most ${MAX_POINTS}: raise step or narrow from..to`,
    );
  return { from, to, step };
}

/** Points of a range: from, from + step, ... up to to (as Prometheus evaluates a range query). */
export const pointCount = (r: ImpactRange): number => Math.floor((r.to - r.from) / r.step + 1e-9) + 1;

/** The evaluation times of a range, unix seconds. */
export function timestampsOf(r: ImpactRange): number[] {
  return Array.from({ length: pointCount(r) }, (_, i) => Math.round((r.from + i * r.step) * 1000) / 1000);
}
