import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrometheusHarness, startPrometheus } from './prometheus-harness.ts';
import {
  formatSampleValue,
  type ReplayAnswer,
  type ReplayPrometheus,
  startReplayPrometheus,
} from './prometheus-replay.ts';

interface Raw {
  status: number;
  contentType: string | null;
  body: unknown;
}

async function get(base: string, query: string): Promise<Raw> {
  const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query })}`, {
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.json() };
}

async function post(base: string, query: string): Promise<Raw> {
  const res = await fetch(`${base}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query }).toString(),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.json() };
}

/** The structure of a JSON value: keys and primitive types, with values erased. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, shape((v as Record<string, unknown>)[k])]),
    );
  }
  return typeof v;
}

/**
 * Pairs of (PromQL for the real Prometheus, what the replay is told to answer) that should produce
 * the same wire answer. `vector(x)` gives a one-sample vector with no labels, like `sum(...)`.
 */
const cases: { name: string; promql: string; answer: ReplayAnswer; value?: string }[] = [
  { name: 'a plain value', promql: 'vector(0.25)', answer: { value: 0.25 }, value: '0.25' },
  { name: 'a float sum', promql: 'vector(0.1 + 0.2)', answer: { value: 0.1 + 0.2 }, value: '0.30000000000000004' },
  { name: 'NaN (0/0 error ratio)', promql: 'vector(0/0)', answer: { value: NaN }, value: 'NaN' },
  { name: '+Inf', promql: 'vector(1/0)', answer: { value: Infinity }, value: '+Inf' },
  { name: '-Inf', promql: 'vector(-1/0)', answer: { value: -Infinity }, value: '-Inf' },
  { name: 'a large value', promql: 'vector(1e21)', answer: { value: 1e21 }, value: '1e+21' },
  {
    name: 'a just-below-large value',
    promql: 'vector(123456789012345680000)',
    answer: { value: 123456789012345680000 },
    value: '123456789012345680000',
  },
  { name: 'a tiny value', promql: 'vector(1.5e-7)', answer: { value: 1.5e-7 }, value: '1.5e-07' },
  { name: 'a small value', promql: 'vector(0.000001)', answer: { value: 0.000001 }, value: '0.000001' },
  { name: 'negative zero', promql: 'vector(-0)', answer: { value: -0 } },
  { name: 'an integer', promql: 'vector(1234567)', answer: { value: 1234567 }, value: '1234567' },
  { name: 'no data', promql: 'absent(vector(1))', answer: 'empty' },
  { name: 'a parse error', promql: 'sum(', answer: 'error' },
];

describe('startReplayPrometheus', () => {
  let prom: PrometheusHarness;
  let replay: ReplayPrometheus;
  const byQuery = new Map(cases.map((c) => [c.promql, c.answer]));

  beforeAll(async () => {
    prom = await startPrometheus({ targets: [] });
    replay = await startReplayPrometheus({ answer: (q) => byQuery.get(q) ?? 'empty' });
  });
  afterAll(async () => {
    await replay?.stop();
    await prom?.stop();
  });

  it.each(cases)(
    'answers $name with the same shape, status and value text as the real Prometheus',
    async ({ promql, value }) => {
      const real = await get(prom.url, promql);
      const fake = await get(replay.url, promql);
      expect(fake.status).toBe(real.status);
      expect(fake.contentType).toBe(real.contentType);
      expect(shape(fake.body)).toEqual(shape(real.body));
      const realBody = real.body as {
        status: string;
        errorType?: string;
        data?: { resultType: string; result: { metric: object; value: [number, string] }[] };
      };
      const fakeBody = fake.body as typeof realBody;
      expect(fakeBody.status).toBe(realBody.status);
      expect(fakeBody.errorType).toBe(realBody.errorType);
      expect(fakeBody.data?.resultType).toBe(realBody.data?.resultType);
      // Same value text (how "NaN", "+Inf" and big/small floats are spelled), and a comparable clock.
      const [realTs, realValue] = realBody.data?.result[0]?.value ?? [];
      const [fakeTs, fakeValue] = fakeBody.data?.result[0]?.value ?? [];
      expect(fakeValue).toBe(realValue);
      if (value !== undefined) expect(fakeValue).toBe(value);
      if (realTs !== undefined) expect(Math.abs(fakeTs! - realTs)).toBeLessThan(5);
    },
  );

  it('accepts a POST form body like the real one, and an explicit time', async () => {
    const real = await post(prom.url, 'vector(0.25)');
    const fake = await post(replay.url, 'vector(0.25)');
    expect(fake.body).toMatchObject({ status: 'success', data: { result: [{ value: [expect.any(Number), '0.25'] }] } });
    expect(shape(fake.body)).toEqual(shape(real.body));

    const at = '1700000000.5';
    const r = await fetch(`${prom.url}/api/v1/query?${new URLSearchParams({ query: 'vector(0.25)', time: at })}`);
    const f = await fetch(`${replay.url}/api/v1/query?${new URLSearchParams({ query: 'vector(0.25)', time: at })}`);
    expect(await f.json()).toEqual(await r.json());
  });

  it('rejects a missing query with 400 bad_data, like the real one', async () => {
    const real = await fetch(`${prom.url}/api/v1/query`);
    const fake = await fetch(`${replay.url}/api/v1/query`);
    expect(fake.status).toBe(real.status);
    expect(shape(await fake.json())).toEqual(shape(await real.json()));
  });
});

describe('replay stats and latency', () => {
  it('counts queries, applies latency, and turns a throwing answer() into a 500', async () => {
    const replay = await startReplayPrometheus({
      latencyMs: 50,
      answer: (q) => {
        if (q === 'boom') throw new Error('no recording for boom');
        return { value: 1, metric: { variant: 'treatment' } };
      },
    });
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 20 }, () => get(replay.url, 'sum(x)')));
      // Concurrent queries wait in parallel: 50 ms each, not 20 x 50 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(50);
      expect(Date.now() - started).toBeLessThan(900);
      expect(answers[0]?.body).toMatchObject({
        data: { result: [{ metric: { variant: 'treatment' }, value: [expect.any(Number), '1'] }] },
      });
      const boom = await get(replay.url, 'boom');
      expect(boom.status).toBe(500);
      expect(boom.body).toMatchObject({ status: 'error', errorType: 'internal' });

      const stats = replay.stats();
      expect(stats.queries).toBe(21);
      expect(stats.since).toBeLessThanOrEqual(started);
      expect(stats.queriesPerSecond).toBeGreaterThan(0);
      replay.resetStats();
      expect(replay.stats().queries).toBe(0);
    } finally {
      await replay.stop();
    }
    await expect(fetch(`${replay.url}/-/ready`)).rejects.toThrow();
  });
});

describe('formatSampleValue', () => {
  it('writes floats like Prometheus (Go shortest digits, two-digit exponents)', () => {
    expect(formatSampleValue(1e21)).toBe('1e+21');
    expect(formatSampleValue(-2.5e-8)).toBe('-2.5e-08');
    expect(formatSampleValue(1.2345e122)).toBe('1.2345e+122');
    expect(formatSampleValue(0.02)).toBe('0.02');
  });
});
