import 'server-only';

/**
 * The Prometheus the status page reads (its server side): PROMETHEUS_URL, as the controller and the
 * workers read it (`npm start` gives every child the same one), else CONSOLE_PROMETHEUS_URL.
 * Undefined: the page says the console was given none.
 */
export function statusPrometheusUrl(): string | undefined {
  const raw = process.env.PROMETHEUS_URL || process.env.CONSOLE_PROMETHEUS_URL;
  return raw ? raw.replace(/\/+$/, '') : undefined;
}
