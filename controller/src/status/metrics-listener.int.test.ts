/**
 * The admin API's request histogram on the real control plane (SQLite, the real express app and
 * HTTP): every answer is counted under its matched route's pattern (not its path), and the
 * loopback metrics listener serves it in a form Prometheus' own parser (promtool) accepts.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/index.ts';
import { startMetricsListener, type RunningMetricsListener } from './metrics-listener.ts';

let t: TestServer;
let listener: RunningMetricsListener;

beforeAll(async () => {
  t = await startTestServer('sqlite');
  listener = await startMetricsListener({ port: 0, metrics: t.plane.httpMetrics });
}, 60_000);
afterAll(async () => {
  await listener?.close();
  await t?.close();
});

const COUNT = 'controller_http_request_duration_seconds_count';

async function count(labels: string): Promise<number> {
  const text = await (await fetch(`${listener.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${COUNT}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(COUNT.length + labels.length + 3));
}

it('counts admin API answers by method, route pattern and status, served on 127.0.0.1', async () => {
  expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const projects = 'method="GET",route="/api/v1/projects",status="200"';
  expect(await count(projects)).toBe(0);
  for (let i = 0; i < 3; i++) expect((await t.request('GET', '/api/v1/projects')).status).toBe(200);
  expect((await t.request('GET', '/api/v1/projects/nope-1')).status).toBe(404);
  expect((await t.request('GET', '/api/v1/projects/nope-2')).status).toBe(404);
  const noAuth = await fetch(`${t.url}/api/v1/projects`);
  expect(noAuth.status).toBe(401);
  await noAuth.arrayBuffer();

  expect(await count(projects)).toBe(3);
  // Two paths, one series: the label is the route's pattern.
  expect(await count('method="GET",route="/api/v1/projects/:projectKey",status="404"')).toBe(2);
  // Refused before any route matched (authentication runs first): bounded as `unmatched`.
  expect(await count('method="GET",route="unmatched",status="401"')).toBe(1);
  const text = await (await fetch(`${listener.url}/metrics`)).text();
  expect(text).not.toContain('nope-1');
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  expect(promtool.status, promtool.stderr + promtool.stdout).toBe(0);

  const health = await fetch(`${listener.url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  expect((await fetch(`${listener.url}/metrics`, { method: 'POST' })).status).toBe(405);
  expect((await fetch(`${listener.url}/api/v1/projects`)).status).toBe(404);
});
