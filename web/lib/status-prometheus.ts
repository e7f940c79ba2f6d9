import 'server-only';
/**
 * Reads the status page's data from Prometheus (the recording rules and alerts of
 * prometheus/rules/): seven instant queries and the alerts list, in parallel, each bounded in time.
 */
import {
  BURN_WINDOWS,
  type BurnWindow,
  type PromAlert,
  type PromSample,
  shapeAlerts,
  shapeSlos,
} from './status-slo.ts';
import type { AlertStatus, SloStatus } from './status-slo.ts';

/** A slow or overloaded Prometheus must not hold the page: each request gets this long. */
const TIMEOUT_MS = 5_000;

export type StatusAnswer = { ok: true; slos: SloStatus[]; alerts: AlertStatus[] } | { ok: false; problem: string };

async function get<T>(base: string, path: string): Promise<T> {
  const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(TIMEOUT_MS), cache: 'no-store' });
  const body = (await res.json()) as { status: string; data?: T; error?: string };
  if (body.status !== 'success' || body.data === undefined)
    throw new Error(`Prometheus answered HTTP ${res.status}: ${body.error ?? 'no data'}`);
  return body.data;
}

async function vector(base: string, query: string): Promise<PromSample[]> {
  const data = await get<{ resultType: string; result: PromSample[] }>(
    base,
    `/api/v1/query?query=${encodeURIComponent(query)}`,
  );
  return data.resultType === 'vector' ? data.result : [];
}

/** Every SLO's budget and burn rates, and the pending and firing alerts. */
export async function readStatus(prometheusUrl: string): Promise<StatusAnswer> {
  try {
    const [objectives, spent, alerts, ...burns] = await Promise.all([
      vector(prometheusUrl, 'slo:objective:ratio'),
      vector(prometheusUrl, 'slo:error_ratio:rate30d'),
      get<{ alerts: PromAlert[] }>(prometheusUrl, '/api/v1/alerts'),
      ...BURN_WINDOWS.map((w) => vector(prometheusUrl, `slo:error_ratio:rate${w}`)),
    ]);
    const burn = Object.fromEntries(BURN_WINDOWS.map((w, i) => [w, burns[i] ?? []])) as Record<
      BurnWindow,
      PromSample[]
    >;
    return { ok: true, slos: shapeSlos(objectives, spent, burn), alerts: shapeAlerts(alerts.alerts) };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return {
      ok: false,
      problem: `Prometheus at ${new URL(prometheusUrl).host} did not answer: ${cause ?? (e as Error).message}`,
    };
  }
}
