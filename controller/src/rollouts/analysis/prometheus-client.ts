/**
 * Instant queries against Prometheus' HTTP API (`/api/v1/query`). Every query has a timeout;
 * every answer, including failures, comes back as a {@link Measurement}.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { resolveHeaders, type PrometheusProvider } from '../policy/policy.ts';
import type { Measurement } from './measurement.ts';

export interface ResolvedQuery {
  query: string;
  measurement: Measurement;
  durationMs: number;
}

// One keep-alive agent per scheme: a busy controller sends ~1,000 queries/s to one Prometheus.
// node:http costs a fraction of fetch per request here (measured: docs/performance.md).
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

/** No `${env:NAME}` reference resolves (the default outside the workers). */
const NO_SECRETS = () => undefined;

/**
 * Runs one instant query. A vector with several series is summed (templates should aggregate).
 * Header references (`${env:NAME}`) are resolved here, per query, from `secrets` (the workers'
 * environment); an unset variable is a provider error of this query, like an unreachable server.
 */
export async function queryPrometheus(
  provider: PrometheusProvider & { address: string },
  query: string,
  time?: number,
  secrets: (name: string) => string | undefined = NO_SECRETS,
): Promise<ResolvedQuery> {
  const started = performance.now();
  const form = new URLSearchParams({ query });
  if (time !== undefined) form.set('time', (time / 1000).toFixed(3));
  const done = (measurement: Measurement): ResolvedQuery => ({
    query,
    measurement,
    durationMs: Math.round(performance.now() - started),
  });
  let url: URL;
  try {
    url = new URL('/api/v1/query', provider.address);
  } catch {
    return done({ kind: 'error', message: `invalid Prometheus address ${provider.address}` });
  }
  const headers = resolveHeaders(provider.headers, secrets);
  if (!headers.ok) return done({ kind: 'error', message: headers.message });
  const body = form.toString();
  const answer = await new Promise<{ status: number; text: string } | { error: string }>((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        agent: agents[url.protocol as 'http:' | 'https:'],
        headers: {
          ...headers.headers,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          resolve({ error: e.message });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ error: `timed out after ${provider.timeout} ms` });
    }, provider.timeout);
    req.on('error', (e) => {
      clearTimeout(timer);
      resolve({ error: e.message || (e as { code?: string }).code || 'connection failed' });
    });
    req.end(body);
  });
  if ('error' in answer) return done({ kind: 'error', message: answer.error });
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return done({ kind: 'error', message: `HTTP ${answer.status}: not JSON` });
  }
  return done(readAnswer(answer.status, parsed));
}

/** Interprets a decoded `/api/v1/query` answer. Exported for unit tests on recorded answers. */
export function readAnswer(status: number, answer: unknown): Measurement {
  const a = answer as {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType?: string; result?: unknown };
  };
  if (a?.status !== 'success')
    return { kind: 'error', message: `HTTP ${status}: ${a?.errorType ?? 'error'}: ${a?.error ?? 'no error text'}` };
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
