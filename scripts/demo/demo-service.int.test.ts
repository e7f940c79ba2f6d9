import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { firstValue, queryPrometheus, startPrometheus, waitForSeries } from '../../testing/prometheus-harness.ts';
import {
  type DemoService,
  type EvaluateFn,
  ofrepEvaluator,
  startDemoService,
  UNKNOWN_VARIANT,
} from './demo-service.ts';
import { startLoad } from './load-driver.ts';

const base = {
  port: 0,
  evaluatorUrl: 'http://127.0.0.1:1',
  sdkKey: 'unused',
  flag: 'new-checkout',
  environment: 'staging',
};

/** Alternates control / treatment per call, so both arms get exactly half the traffic. */
function alternating(): EvaluateFn {
  let n = 0;
  return async () => ({ variant: n++ % 2 === 0 ? 'control' : 'treatment' });
}

/** `name{labels} value` lines of the Prometheus text format, for the metric `name` only. */
async function scrape(service: DemoService, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2]!, Number(m[3]));
  }
  return out;
}
const labels = (variant: string) => `flag="new-checkout",variant="${variant}",environment="staging"`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('demo service', () => {
  it('fails only the variant whose error rate is 1, and counts it per variant on /metrics', async () => {
    const service = await startDemoService({
      ...base,
      errorRates: { treatment: 1, control: 0 },
      evaluate: alternating(),
    });
    cleanups.push(() => service.stop());

    // Before any traffic both arms already have series at 0 (so increase() sees the first errors).
    expect((await scrape(service, 'app_request_errors_total')).get(labels('treatment'))).toBe(0);
    expect((await scrape(service, 'app_request_errors_total')).get(labels('control'))).toBe(0);

    const run = startLoad({ url: service.url, rps: 200, users: 50, durationMs: 500 });
    const counts = await run.done;
    // Open-loop at 200 rps for 0.5 s: about 100 requests (timer granularity allows some slack).
    expect(counts.sent).toBeGreaterThanOrEqual(90);
    expect(counts.sent).toBeLessThanOrEqual(101);
    expect(counts.errors + counts.dropped + counts.inFlight).toBe(0);
    expect(counts.ok).toBe(counts.byVariant.control);
    expect(counts.failed).toBe(counts.byVariant.treatment);

    const total = await scrape(service, 'app_requests_total');
    const errors = await scrape(service, 'app_request_errors_total');
    expect(total.get(labels('control'))).toBe(counts.byVariant.control);
    expect(total.get(labels('treatment'))).toBe(counts.byVariant.treatment);
    expect(errors.get(labels('treatment'))).toBe(counts.byVariant.treatment);
    expect(errors.get(labels('control'))).toBe(0);
    const durations = await scrape(service, 'app_request_duration_seconds_count');
    expect(durations.get(labels('treatment'))).toBe(counts.byVariant.treatment);
  });

  it('applies new error rates at run time and counts a failed evaluation as "unknown"', async () => {
    let broken = false;
    const evaluate: EvaluateFn = async () => {
      if (broken) throw new Error('evaluator down');
      return { variant: 'treatment' };
    };
    const service = await startDemoService({ ...base, errorRates: { treatment: 0 }, evaluate });
    cleanups.push(() => service.stop());

    expect((await fetch(`${service.url}/work?user=a`)).status).toBe(200);
    service.setErrorRates({ treatment: 1 });
    expect((await fetch(`${service.url}/work?user=a`)).status).toBe(500);
    broken = true;
    const res = await fetch(`${service.url}/work?user=a`);
    expect(await res.json()).toEqual({ user: 'a', variant: UNKNOWN_VARIANT });
    expect((await fetch(`${service.url}/work`)).status).toBe(400);

    const total = await scrape(service, 'app_requests_total');
    expect(total.get(labels('treatment'))).toBe(2);
    expect(total.get(labels(UNKNOWN_VARIANT))).toBe(1);
    expect((await scrape(service, 'app_request_errors_total')).get(labels(UNKNOWN_VARIANT))).toBe(0);
    expect(() => service.setErrorRates({ treatment: 1.5 })).toThrow(/\[0, 1\]/);
  });
});

/**
 * The default OFREP client against a stand-in that answers the OFREP shapes the evaluator answers
 * (value, variant, reason; errorCode on a 4xx). A unit test of the client only, not of the evaluator.
 */
describe('ofrepEvaluator (against an OFREP stand-in)', () => {
  async function startOfrepStandIn(): Promise<{
    server: Server;
    url: string;
    seen: { path: string; auth: string; body: unknown }[];
  }> {
    const seen: { path: string; auth: string; body: unknown }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      req.on('end', () => {
        const body = JSON.parse(raw || '{}') as { context?: { targetingKey?: string } };
        seen.push({ path: req.url ?? '', auth: req.headers.authorization ?? '', body });
        const key = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
        const send = (status: number, payload: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
        if (req.headers.authorization !== 'Bearer sdk-good')
          return send(401, { key, errorCode: 'GENERAL', errorDetails: 'invalid key' });
        if (key !== 'new-checkout')
          return send(404, { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag ${key} not found` });
        if (body.context?.targetingKey === undefined)
          return send(400, { key, errorCode: 'TARGETING_KEY_MISSING', errorDetails: 'no key' });
        const treatment = body.context.targetingKey.endsWith('1');
        send(200, {
          key,
          value: treatment,
          variant: treatment ? 'treatment' : 'control',
          reason: 'SPLIT',
          metadata: {},
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    );
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  it('sends the OFREP request and reads the variant; errors come back as "unknown" with their code', async () => {
    const stand = await startOfrepStandIn();
    const evaluate = ofrepEvaluator({ evaluatorUrl: stand.url, sdkKey: 'sdk-good', flag: 'new-checkout' });
    expect(await evaluate('u1')).toEqual({ variant: 'treatment' });
    expect(await evaluate('u2')).toEqual({ variant: 'control' });
    expect(stand.seen[0]).toEqual({
      path: '/ofrep/v1/evaluate/flags/new-checkout',
      auth: 'Bearer sdk-good',
      body: { context: { targetingKey: 'u1' } },
    });

    const wrongFlag = ofrepEvaluator({ evaluatorUrl: stand.url, sdkKey: 'sdk-good', flag: 'nope' });
    expect(await wrongFlag('u1')).toEqual({ variant: UNKNOWN_VARIANT, errorCode: 'FLAG_NOT_FOUND' });
    const badKey = ofrepEvaluator({ evaluatorUrl: stand.url, sdkKey: 'sdk-bad', flag: 'new-checkout' });
    expect(await badKey('u1')).toEqual({ variant: UNKNOWN_VARIANT, errorCode: 'GENERAL' });
    const down = ofrepEvaluator({ evaluatorUrl: 'http://127.0.0.1:1', sdkKey: 'sdk-good', flag: 'new-checkout' });
    expect(await down('u1')).toEqual({ variant: UNKNOWN_VARIANT, errorCode: 'NETWORK' });
  });

  it('is what the service uses by default', async () => {
    const stand = await startOfrepStandIn();
    const service = await startDemoService({
      ...base,
      evaluatorUrl: stand.url,
      sdkKey: 'sdk-good',
      errorRates: { treatment: 1, control: 0 },
    });
    cleanups.push(() => service.stop());
    expect(await (await fetch(`${service.url}/work?user=u2`)).json()).toEqual({ user: 'u2', variant: 'control' });
    const res = await fetch(`${service.url}/work?user=u1`);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ variant: 'treatment' });
  });
});

describe('demo service scraped by a real Prometheus', () => {
  it('shows treatment errors in increase() while control stays at 0', async () => {
    const service = await startDemoService({
      ...base,
      errorRates: { treatment: 1, control: 0 },
      evaluate: alternating(),
    });
    cleanups.push(() => service.stop());
    const prom = await startPrometheus({ targets: [`127.0.0.1:${service.port}`] });
    cleanups.push(() => prom.stop());
    // Scraped once at 0 before traffic, so increase() counts from the very first request.
    await waitForSeries(prom.url, 'app_request_errors_total{variant="treatment"}', (s) => s.length === 1, 15_000);

    const run = startLoad({ url: service.url, rps: 50, users: 100, durationMs: 20_000 });
    cleanups.push(() => run.stop());
    const treatment = await waitForSeries(
      prom.url,
      'sum(increase(app_request_errors_total{variant="treatment"}[30s]))',
      (s) => (firstValue(s) ?? 0) > 0,
      15_000,
    );
    expect(firstValue(treatment)).toBeGreaterThan(0);
    // Same moment: control has traffic in Prometheus, and its error series exists and reads 0.
    await waitForSeries(
      prom.url,
      'sum(increase(app_requests_total{variant="control"}[30s]))',
      (s) => (firstValue(s) ?? 0) > 0,
      5_000,
    );
    const control = await queryPrometheus(prom.url, 'sum(increase(app_request_errors_total{variant="control"}[30s]))');
    expect(control).toHaveLength(1);
    expect(firstValue(control)).toBe(0);
    // The labels the policies template on arrive intact (honor_labels).
    const series = await queryPrometheus(prom.url, 'app_request_errors_total{variant="treatment"}');
    expect(series[0]?.metric).toMatchObject({ flag: 'new-checkout', environment: 'staging', job: 'demo' });
    await run.stop();
  });
});
