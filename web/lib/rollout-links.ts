/**
 * Links from the console to the Prometheus the rollouts query. CONSOLE_PROMETHEUS_URL is where a
 * person's browser reaches it (it may differ from the workers' PROMETHEUS_URL, e.g. behind a
 * proxy); unset, the console shows the PromQL without a link.
 */

/** The console's Prometheus base URL, without a trailing slash, or undefined. */
export function consolePrometheusUrl(): string | undefined {
  const raw = process.env.CONSOLE_PROMETHEUS_URL?.trim();
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  } catch {
    return undefined;
  }
  return raw.replace(/\/+$/, '');
}

/** The Prometheus graph page of one query (`/graph?g0.expr=…&g0.tab=1`, the table view at the tick's time). */
export function prometheusGraphLink(base: string | undefined, query: string, at?: string): string | undefined {
  if (!base) return undefined;
  const q = new URLSearchParams({ 'g0.expr': query, 'g0.tab': '1' });
  if (at) q.set('g0.moment_input', at.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''));
  return `${base}/graph?${q.toString()}`;
}
