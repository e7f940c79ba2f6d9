/**
 * The admin API's request histogram over a real express app and real HTTP: labels carry the
 * matched route pattern (bounded), not the path; and Prometheus' own parser (promtool) accepts the
 * exposition.
 */
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpMetrics } from './http-metrics.ts';

const metrics = new HttpMetrics();
let base = '';
let close: () => void = () => {};

beforeAll(async () => {
  const app = express();
  app.use(metrics.middleware);
  const router = express.Router();
  router.get('/projects/:project', (_req, res) => void res.json({ ok: true }));
  router.post('/projects', (_req, res) => void res.status(503).json({ error: 'DATABASE_BUSY' }));
  app.use('/api/v1', router);
  app.get('/metrics', (_req, res) => void res.type('text/plain; version=0.0.4').send(metrics.exposition()));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

it('counts requests by method, matched route and status; unknown paths as unmatched', async () => {
  for (const p of ['a', 'b', 'c']) expect((await fetch(`${base}/api/v1/projects/${p}`)).status).toBe(200);
  expect((await fetch(`${base}/api/v1/projects`, { method: 'POST' })).status).toBe(503);
  expect((await fetch(`${base}/no/such/${Math.random()}`)).status).toBe(404);
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).toContain(
    'controller_http_request_duration_seconds_count{method="GET",route="/api/v1/projects/:project",status="200"} 3',
  );
  expect(text).toContain(
    'controller_http_request_duration_seconds_count{method="POST",route="/api/v1/projects",status="503"} 1',
  );
  expect(text).toContain(
    'controller_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1',
  );
  expect(text).not.toContain('/projects/a');
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  expect(promtool.status, promtool.stderr + promtool.stdout).toBe(0);
});
