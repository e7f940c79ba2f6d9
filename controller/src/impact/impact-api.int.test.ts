/**
 * The impact API against a real Prometheus (testing/prometheus-harness.ts) scraping a small
 * exporter of known counters: the answer's numbers are Prometheus' own answer to the same
 * range query, shaped per variant; ratios, shares and the difference follow from them; audit
 * entries and rollout transitions are markers; bad parameters are 400s naming the parameter;
 * and a stopped, hanging or missing Prometheus is a clear error, not an empty chart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrometheusHarness, startPrometheus, waitForSeries } from '../../../testing/prometheus-harness.ts';
import { MapPolicyCatalog } from '../rollouts/policy-catalog.ts';
import { validatePolicy } from '../rollouts/policy/policy-schema.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { queryRange } from './prometheus-range.ts';

const ENV = 'shop.prod';
const FLAG = 'checkout';
const IMPACT = `/api/v1/projects/shop/environments/prod/flags/${FLAG}/impact`;
/** Prometheus unavailable is an UnavailableError: the impact endpoint answers 503 (docs/api.md). */
const PROMETHEUS_DOWN_STATUS = 503;

/** Counters that grow by a fixed amount per scrape: on gets 10 exposures and 2 checkouts, off 30 and 3. */
function startExporter(): Promise<Server> {
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    scrapes++;
    const line = (name: string, variant: string, value: number) =>
      `${name}{environment="${ENV}",flag="${FLAG}",variant="${variant}"} ${value}`;
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end(
        [
          '# TYPE evaluator_exposures_total counter',
          line('evaluator_exposures_total', 'on', 10 * scrapes),
          line('evaluator_exposures_total', 'off', 30 * scrapes),
          '# TYPE checkout_total counter',
          line('checkout_total', 'on', 2 * scrapes),
          line('checkout_total', 'off', 3 * scrapes),
          '',
        ].join('\n'),
      );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Prometheus' own answer to a range query: value per timestamp of the (single) series. */
async function direct(url: string, query: string, from: number, to: number, step: number) {
  const body = new URLSearchParams({ query, start: String(from), end: String(to), step: String(step) });
  const res = await fetch(`${url}/api/v1/query_range`, { method: 'POST', body, signal: AbortSignal.timeout(5_000) });
  const json = (await res.json()) as {
    data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
  };
  return json.data.result;
}

describe('impact API against a real Prometheus', () => {
  let exporter: Server;
  let prometheus: PrometheusHarness;
  let t: TestServer;
  let seededAt: number;

  beforeAll(async () => {
    exporter = await startExporter();
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${(exporter.address() as AddressInfo).port}`] });
    const policy = validatePolicy({
      name: 'safe',
      steps: [
        { weight: 50, minDuration: '1h' },
        { weight: 100, minDuration: '1m' },
      ],
      analysis: { interval: '10s' },
      traffic: { query: 'sum(evaluator_exposures_total{variant="{{variant}}"})' },
      metrics: [{ name: 'p', kind: 'threshold', query: 'vector(1) + 0*absent(x{v="{{variant}}"})', max: 2 }],
    });
    if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
    t = await startTestServer('sqlite', {
      prometheus: { url: prometheus.url, timeoutMs: 5_000 },
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['safe', policy.value]])),
        scheduler: { schedule: async () => {} },
        deliveries: { enqueue: async () => {} },
      },
    });
    seededAt = Math.floor(Date.now() / 1000) - 1;
    await seedProject(t, 'shop', [{ key: 'prod' }]);
    const ok = (r: { status: number; text: string }, s: number) => {
      if (r.status !== s) throw new Error(`${r.status} ${r.text}`);
    };
    ok(await t.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag(FLAG) }), 201);
    ok(
      await t.request('PUT', `/api/v1/projects/shop/environments/prod/flags/${FLAG}`, {
        body: { ...onConfig(), version: 1 },
      }),
      200,
    );
    ok(
      await t.request('POST', '/api/v1/projects/shop/metrics', {
        body: {
          key: 'conversion',
          name: 'Checkout conversion',
          kind: 'ratio',
          better: 'higher',
          unit: '%',
          numerator:
            'sum(increase(checkout_total{environment="{{environment}}",flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
          denominator:
            'sum(increase(evaluator_exposures_total{environment="{{environment}}",flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
        },
      }),
      201,
    );
    ok(
      await t.request('POST', '/api/v1/projects/shop/metrics', {
        body: {
          key: 'broken',
          name: 'Broken',
          kind: 'quantile',
          better: 'lower',
          query: 'sum(rate(x{v="{{variant}}"}[{{window}}]',
        },
      }),
      201,
    );
    ok(
      await t.request('POST', `/api/v1/projects/shop/environments/prod/flags/${FLAG}/rollouts`, {
        body: { policy: 'safe', treatment: 'off', control: 'on' },
      }),
      201,
    );
    // Ten scrapes of data (the first one comes ~5 s after Prometheus starts).
    await waitForSeries(
      prometheus.url,
      `count_over_time(evaluator_exposures_total{variant="on"}[1m])`,
      (s) => Number(s[0]?.value[1] ?? 0) >= 10,
      60_000,
    );
  }, 90_000);

  afterAll(async () => {
    await t?.close();
    await prometheus?.stop();
    await new Promise((r) => exporter?.close(r));
  });

  it("answers Prometheus' own numbers per variant, with shares, ratios, the difference and markers", async () => {
    const to = Math.floor(Date.now() / 1000) - 2;
    const [from, step] = [seededAt, 2];
    const r = await t.request('GET', `${IMPACT}?from=${from}&to=${to}&step=${step}&metrics=conversion,broken`);
    expect(r.status, r.text).toBe(200);
    const a = r.body;
    expect(a).toMatchObject({ environment: ENV, flag: FLAG, from, to, step, treatment: 'off', control: 'on' });
    expect(a.timestamps[0]).toBe(from);
    expect(a.timestamps).toHaveLength(Math.floor((to - from) / step) + 1);
    expect(a.exposureQuery).toBe(
      `sum by (variant) (increase(evaluator_exposures_total{environment="${ENV}", flag="${FLAG}"}[2s]))`,
    );

    // Exposures: exactly what Prometheus answers to the same query and range, at the same points.
    const own = await direct(prometheus.url, a.exposureQuery, from, to, step);
    expect(own.map((s) => s.metric.variant).sort()).toEqual(['off', 'on']);
    let compared = 0;
    for (const s of own) {
      const byTime = new Map(s.values.map(([ts, v]) => [ts, Number(v)]));
      a.timestamps.forEach((ts: number, i: number) => {
        const expected = byTime.get(ts);
        expect(a.exposures[s.metric.variant!].counts[i]).toBe(expected === undefined ? null : expected);
        if (expected !== undefined) compared++;
      });
    }
    expect(compared).toBeGreaterThan(4);
    // Before Prometheus had two samples there is no data: null, never 0.
    expect(a.exposures.on.counts[0]).toBeNull();
    const i = a.exposures.on.counts.findLastIndex((v: number | null) => v !== null);
    expect(a.exposures.on.shares[i]).toBeCloseTo(0.25, 6);
    expect(a.exposures.off.shares[i]).toBeCloseTo(0.75, 6);

    const [conversion, broken] = a.metrics;
    expect(conversion).toMatchObject({
      key: 'conversion',
      kind: 'ratio',
      better: 'higher',
      unit: '%',
      source: 'project',
    });
    expect(conversion.queries.on.numerator).toBe(
      `sum(increase(checkout_total{environment="${ENV}",flag="${FLAG}",variant="on"}[2s]))`,
    );
    const num = await direct(prometheus.url, conversion.queries.on.numerator, from, to, step);
    const den = await direct(prometheus.url, conversion.queries.on.denominator, from, to, step);
    const at = a.timestamps[i];
    const n = Number(num[0]!.values.find(([ts]) => ts === at)![1]);
    const d = Number(den[0]!.values.find(([ts]) => ts === at)![1]);
    expect(conversion.perVariant.on[i]).toBe(n / d);
    expect(conversion.perVariant.on[i]).toBeCloseTo(0.2, 6);
    expect(conversion.perVariant.off[i]).toBeCloseTo(0.1, 6);
    // off (treatment) - on (control), with an interval around it.
    expect(conversion.difference.estimate[i]).toBeCloseTo(-0.1, 6);
    expect(conversion.difference.lower[i]).toBeLessThan(-0.1);
    expect(conversion.difference.upper[i]).toBeGreaterThan(-0.1);
    expect(conversion.difference.estimate[0]).toBeNull();

    // A definition Prometheus cannot parse is that metric's error, not the answer's.
    expect(broken.error).toMatch(/bad_data/);
    expect(broken.perVariant.on.every((v: unknown) => v === null)).toBe(true);

    const kinds = a.markers.map((m: { kind: string; label: string }) => `${m.kind}: ${m.label}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^audit: .*checkout/),
        expect.stringMatching(/^rollout: rollout \d+ started \(step 1, 50%\)/),
      ]),
    );
    expect(a.markers.every((m: { at: number }) => m.at >= from && m.at <= to)).toBe(true);
  });

  it('refuses bad parameters with the parameter named', async () => {
    const problem = async (q: string) => (await t.request('GET', `${IMPACT}?${q}`)).body.error.problems[0].path;
    expect(await problem('from=200&to=100')).toBe('query.to');
    expect(await problem('step=0')).toBe('query.step');
    expect(await problem('from=0&to=20000&step=1')).toBe('query.step');
    expect(await problem('metrics=nope')).toBe('query.metrics');
    expect(await problem('treatment=blue')).toBe('query.treatment');
    expect(await problem('window=1')).toBe('query.window');
    expect((await t.request('GET', `/api/v1/projects/shop/environments/prod/flags/nope/impact`)).status).toBe(404);
  });

  it('a hanging Prometheus times out with PROMETHEUS_TIMEOUT', async () => {
    const hang = createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://user:secret@127.0.0.1:${(hang.address() as AddressInfo).port}`;
      const started = Date.now();
      const e = await queryRange({ url, timeoutMs: 300 }, 'up', { start: 0, end: 10, step: 1 }).catch((x) => x);
      expect(e).toMatchObject({ code: 'PROMETHEUS_TIMEOUT' });
      expect(e.message).not.toMatch(/secret/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      hang.closeAllConnections();
      await new Promise((r) => hang.close(r));
    }
  });

  it('without PROMETHEUS_URL: 503 PROMETHEUS_NOT_CONFIGURED', async () => {
    const bare = await startTestServer('sqlite');
    try {
      await seedProject(bare, 'shop', [{ key: 'prod' }]);
      await bare.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag(FLAG) });
      const r = await bare.request('GET', IMPACT);
      expect([r.status, r.body.error.code]).toEqual([503, 'PROMETHEUS_NOT_CONFIGURED']);
    } finally {
      await bare.close();
    }
  });

  // Last: it stops the shared Prometheus.
  it('with Prometheus stopped: PROMETHEUS_UNREACHABLE naming the address', async () => {
    await prometheus.stop();
    const r = await t.request('GET', `${IMPACT}?metrics=conversion`);
    expect(r.status).toBe(PROMETHEUS_DOWN_STATUS);
    expect(r.body.error.code).toBe('PROMETHEUS_UNREACHABLE');
    expect(r.body.error.message).toContain(prometheus.url);
    expect(r.body.error.message).toMatch(/ECONNREFUSED/);
  });
});
