import { afterEach, describe, expect, it } from 'vitest';
import { consolePrometheusUrl, prometheusGraphLink } from './rollout-links.ts';

describe('Prometheus links', () => {
  const saved = process.env.CONSOLE_PROMETHEUS_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.CONSOLE_PROMETHEUS_URL;
    else process.env.CONSOLE_PROMETHEUS_URL = saved;
  });
  it('reads CONSOLE_PROMETHEUS_URL, http(s) only, without a trailing slash', () => {
    process.env.CONSOLE_PROMETHEUS_URL = 'http://127.0.0.1:9090/';
    expect(consolePrometheusUrl()).toBe('http://127.0.0.1:9090');
    process.env.CONSOLE_PROMETHEUS_URL = 'javascript:alert(1)';
    expect(consolePrometheusUrl()).toBeUndefined();
    delete process.env.CONSOLE_PROMETHEUS_URL;
    expect(consolePrometheusUrl()).toBeUndefined();
  });
  it('encodes the query into /graph?g0.expr=', () => {
    const link = prometheusGraphLink('http://p:9090', 'sum(x{a="b"}[30s]) / 2', '2026-12-02T14:02:10.123Z')!;
    const u = new URL(link);
    expect(u.pathname).toBe('/graph');
    expect(u.searchParams.get('g0.expr')).toBe('sum(x{a="b"}[30s]) / 2');
    expect(u.searchParams.get('g0.moment_input')).toBe('2026-12-02 14:02:10');
    expect(prometheusGraphLink(undefined, 'x')).toBeUndefined();
  });
});
