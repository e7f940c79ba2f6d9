import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstValue,
  freePort,
  PrometheusQueryError,
  PrometheusUnreachableError,
  type PrometheusHarness,
  queryPrometheus,
  startPrometheus,
  waitForSeries,
} from './prometheus-harness.ts';

/** A tiny /metrics target with one counter, standing in for a real service. */
async function startTarget(): Promise<{ server: Server; address: string; counter: Counter }> {
  const registry = new Registry();
  const counter = new Counter({
    name: 'harness_test_events_total',
    help: 'test events',
    labelNames: ['kind'],
    registers: [registry],
  });
  // Exists at 0 from the first scrape, so increase() sees every later increment.
  counter.labels('a').inc(0);
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, counter };
}

describe('startPrometheus', () => {
  let target: Awaited<ReturnType<typeof startTarget>>;
  let prom: PrometheusHarness;

  beforeAll(async () => {
    target = await startTarget();
    prom = await startPrometheus({ targets: [target.address] });
  });
  afterAll(async () => {
    await prom?.stop();
    target?.server.closeAllConnections();
    await new Promise((resolve) => target?.server.close(resolve));
  });

  it('scrapes the target, and an increment shows up in increase() over the HTTP API', async () => {
    // The target is up (scraped with honor_labels under job "demo") before we count anything.
    await waitForSeries(prom.url, `up{job="demo",instance="${target.address}"}`, (s) => firstValue(s) === 1, 15_000);
    await waitForSeries(prom.url, 'harness_test_events_total{kind="a"}', (s) => s.length === 1, 15_000);

    target.counter.labels('a').inc(7);
    const started = Date.now();
    const samples = await waitForSeries(
      prom.url,
      'sum(increase(harness_test_events_total{kind="a"}[30s]))',
      (s) => (firstValue(s) ?? 0) > 0,
      15_000,
    );
    // A 1 s scrape interval should make it visible in a few seconds, not near the timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
    // increase() extrapolates to the window edges, so only a lower bound is exact.
    expect(firstValue(samples)).toBeGreaterThanOrEqual(7);
  });

  it('applies new targets on reload()', async () => {
    const second = await startTarget();
    try {
      await prom.reload([target.address, second.address]);
      const up = await waitForSeries(prom.url, 'up{job="demo"} == 1', (s) => s.length === 2, 15_000);
      expect(up.map((s) => s.metric.instance).sort()).toEqual([target.address, second.address].sort());
    } finally {
      second.server.closeAllConnections();
      await new Promise((resolve) => second.server.close(resolve));
    }
  });

  it('reports a malformed query as a query error, at once', async () => {
    const started = Date.now();
    const err = await waitForSeries(prom.url, 'sum(', () => true, 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusQueryError);
    expect(err).toMatchObject({ httpStatus: 400, errorType: 'bad_data' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('an unreachable Prometheus', () => {
  it('fails with a connection error quickly instead of waiting for the timeout', async () => {
    const closedPort = await freePort();
    const url = `http://127.0.0.1:${closedPort}`;
    const started = Date.now();
    const err = await waitForSeries(url, 'up', () => true, 20_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusUnreachableError);
    expect((err as PrometheusUnreachableError).code).toBe('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(queryPrometheus(url, 'up')).rejects.toBeInstanceOf(PrometheusUnreachableError);
  });
});

describe('stop()', () => {
  it('ends the process and frees the port, leaving a caller-owned dataDir in place', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'prom-harness-test-data-'));
    const prom = await startPrometheus({ targets: [], dataDir });
    await expect(queryPrometheus(prom.url, 'vector(1)')).resolves.toHaveLength(1);
    await prom.stop();
    await prom.stop(); // idempotent
    await expect(queryPrometheus(prom.url, 'vector(1)')).rejects.toBeInstanceOf(PrometheusUnreachableError);
    try {
      // Prometheus wrote its TSDB there (the write-ahead log exists from the start).
      expect(await readdir(dataDir)).toContain('wal');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('options.port', () => {
  it('takes the given port when it is free, and a free one when it is taken', async () => {
    const wanted = await freePort();
    const first = await startPrometheus({ targets: [], port: wanted });
    try {
      expect(first.url).toBe(`http://127.0.0.1:${wanted}`);
      const second = await startPrometheus({ targets: [], port: wanted });
      try {
        expect(second.port).not.toBe(wanted);
        await expect(queryPrometheus(second.url, 'vector(1)')).resolves.toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });
});
