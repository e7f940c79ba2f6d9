/**
 * Range queries against Prometheus' HTTP API (`/api/v1/query_range`), each with a timeout.
 * Prometheus that cannot be reached (refused, reset, timed out) is an error of the whole answer
 * (PrometheusUnavailableError); a query Prometheus answers with an error (bad PromQL from a
 * template) is that query's own result, so one broken definition does not hide the others.
 */
import { UnavailableError } from '../errors/domain-errors.ts';

export interface PrometheusTarget {
  /** Base URL (PROMETHEUS_URL); a path prefix is kept (`http://host/prometheus`). */
  url: string;
  /** Per query. */
  timeoutMs: number;
}

/** One series of a matrix answer, values as Prometheus sends them: `[unix seconds, "text"]`. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export type RangeAnswer = { ok: true; series: RangeSeries[] } | { ok: false; message: string };

/**
 * Prometheus could not be asked: `PROMETHEUS_UNREACHABLE`, `PROMETHEUS_TIMEOUT` or
 * `PROMETHEUS_NOT_CONFIGURED`. The message names the address without its credentials.
 */
export class PrometheusUnavailableError extends UnavailableError {}

/** The address for messages: no user, no password, no query string. */
export function maskedAddress(address: string): string {
  try {
    const u = new URL(address);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '[invalid address]';
  }
}

function endpoint(address: string): { url: string; headers: Record<string, string> } {
  const u = new URL(address);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  // fetch refuses URLs with credentials: they go in an Authorization header instead.
  if (u.username !== '' || u.password !== '') {
    const user = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v1/query_range`;
  u.search = '';
  return { url: u.toString(), headers };
}

const causeCode = (e: unknown): string | undefined =>
  ((e as { cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code) || undefined;

/** One range query. Throws PrometheusUnavailableError when Prometheus does not answer in time. */
export async function queryRange(
  target: PrometheusTarget,
  query: string,
  range: { start: number; end: number; step: number },
): Promise<RangeAnswer> {
  const where = maskedAddress(target.url);
  const { url, headers } = endpoint(target.url);
  const body = new URLSearchParams({
    query,
    start: range.start.toFixed(3),
    end: range.end.toFixed(3),
    step: String(range.step),
  }).toString();
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(target.timeoutMs) });
    text = await res.text();
  } catch (e) {
    if ((e as Error)?.name === 'TimeoutError' || (e as Error)?.name === 'AbortError')
      throw new PrometheusUnavailableError(
        'PROMETHEUS_TIMEOUT',
        `Prometheus at ${where} did not answer within ${target.timeoutMs} ms`,
      );
    throw new PrometheusUnavailableError(
      'PROMETHEUS_UNREACHABLE',
      `Prometheus at ${where} is unreachable: ${causeCode(e) ?? (e as Error)?.message ?? 'connection failed'}`,
    );
  }
  let parsed: {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType?: string; result?: unknown };
  };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // Not Prometheus' API (a proxy's error page, a wrong address): nothing it says can be trusted.
    throw new PrometheusUnavailableError(
      'PROMETHEUS_UNREACHABLE',
      `Prometheus at ${where} answered HTTP ${res.status} that is not its JSON API`,
    );
  }
  if (parsed.status !== 'success')
    return {
      ok: false,
      message: `HTTP ${res.status}: ${parsed.errorType ?? 'error'}: ${parsed.error ?? 'no error text'}`,
    };
  if (parsed.data?.resultType !== 'matrix' || !Array.isArray(parsed.data.result))
    return { ok: false, message: `expected a range vector (matrix), got ${parsed.data?.resultType ?? 'nothing'}` };
  return { ok: true, series: parsed.data.result as RangeSeries[] };
}

/** A sample's value, or null for no data: NaN and ±Inf (0/0 error ratios) are no data, never 0. */
export function sampleValue(text: string | undefined): number | null {
  if (text === undefined) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/**
 * Values of series aligned to the range's points: index = (t - start) / step; a point the
 * series has no sample at is null. Several series are summed point by point (templates should
 * aggregate; a sum is what the rollouts' instant queries do too).
 */
export function alignSeries(series: RangeSeries[], start: number, step: number, points: number): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(points).fill(null);
  for (const s of series)
    for (const [t, text] of s.values ?? []) {
      const i = Math.round((t - start) / step);
      const v = sampleValue(text);
      if (i < 0 || i >= points || v === null) continue;
      out[i] = (out[i] ?? 0) + v;
    }
  return out;
}
