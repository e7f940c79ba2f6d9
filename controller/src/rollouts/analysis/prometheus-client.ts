/**
 * Instant queries against Prometheus' HTTP API (`/api/v1/query`). Every query has a timeout;
 * every answer, including failures, comes back as a {@link Measurement}.
 */
import type { PrometheusProvider } from '../policy/policy.ts';
import type { Measurement } from './measurement.ts';

export interface ResolvedQuery {
  query: string;
  measurement: Measurement;
  durationMs: number;
}

/** Runs one instant query. A vector with several series is summed (templates should aggregate). */
export async function queryPrometheus(provider: PrometheusProvider & { address: string }, query: string, time?: number): Promise<ResolvedQuery> {
  const started = performance.now();
  const body = new URLSearchParams({ query });
  if (time !== undefined) body.set('time', (time / 1000).toFixed(3));
  const done = (measurement: Measurement): ResolvedQuery => ({ query, measurement, durationMs: Math.round(performance.now() - started) });
  try {
    const response = await fetch(new URL('/api/v1/query', provider.address), {
      method: 'POST',
      headers: { ...provider.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(provider.timeout),
    });
    const text = await response.text();
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { return done({ kind: 'error', message: `HTTP ${response.status}: not JSON` }); }
    return done(readAnswer(response.status, parsed));
  } catch (error) {
    const message = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${provider.timeout} ms` : String((error as Error)?.message ?? error);
    return done({ kind: 'error', message });
  }
}

/** Interprets a decoded `/api/v1/query` answer. Exported for unit tests on recorded answers. */
export function readAnswer(status: number, answer: unknown): Measurement {
  const a = answer as { status?: string; error?: string; errorType?: string; data?: { resultType?: string; result?: unknown } };
  if (a?.status !== 'success') return { kind: 'error', message: `HTTP ${status}: ${a?.errorType ?? 'error'}: ${a?.error ?? 'no error text'}` };
  const data = a.data;
  if (data?.resultType === 'scalar') return toMeasurement((data.result as [number, string])?.[1]);
  if (data?.resultType === 'vector' && Array.isArray(data.result)) {
    if (data.result.length === 0) return { kind: 'nodata' };
    let sum = 0;
    for (const sample of data.result as Array<{ value?: [number, string] }>) {
      const m = toMeasurement(sample?.value?.[1]);
      if (m.kind !== 'value') return m;
      sum += m.value;
    }
    return { kind: 'value', value: sum };
  }
  return { kind: 'error', message: `expected an instant vector or scalar, got ${data?.resultType ?? 'nothing'}` };
}

function toMeasurement(raw: string | undefined): Measurement {
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) ? { kind: 'value', value } : { kind: 'nodata' };
}
