/**
 * `npm start`'s Prometheus (`prometheus: 'auto'`): with nothing answering at PROMETHEUS_URL, the
 * stack starts a private one that scrapes every evaluator and the workers, and stops it with the
 * stack; with one answering, the stack uses it and its printed targets are what that one must scrape.
 * Either way the children get the URL (the controller's impact API answers instead of 503).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type PrometheusHarness,
  queryPrometheus,
  startPrometheus,
} from '../../testing/prometheus-harness.ts';
import { AdminClient } from './admin-client.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from './local-stack.ts';

const ADMIN_TOKEN = `fsk_test_${randomBytes(16).toString('hex')}`;

function stackOptions(dir: string, prometheusUrl: string): LocalStackOptions {
  return {
    controllerPort: 0,
    evaluatorPorts: [0, 0],
    dataDir: dir,
    adminToken: ADMIN_TOKEN,
    keyPrefix: `fsp${randomBytes(3).toString('hex')}:`,
    env: { PROMETHEUS_URL: prometheusUrl },
    prometheus: 'auto',
    supervisor: { echo: false },
  };
}

/** `up` per instance of `job` once every target is 1, or the last answer after ~30 s (two 5 s discovery batches and scrapes, with margin). */
async function upOfTargets(url: string, job: string, targets: string[]): Promise<Record<string, number>> {
  let up: Record<string, number> = {};
  for (let i = 0; i < 60; i++) {
    const samples = await queryPrometheus(url, `up{job="${job}"}`);
    up = Object.fromEntries(samples.map((s) => [s.metric.instance!, Number(s.value[1])]));
    if (targets.every((t) => up[t] === 1)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return up;
}

/** The controller's impact API: 503 PROMETHEUS_NOT_CONFIGURED unless the controller was given PROMETHEUS_URL. */
async function impactStatus(stack: LocalStack): Promise<{ status: number; body: unknown }> {
  const admin = new AdminClient(stack.apiUrl, ADMIN_TOKEN);
  await admin.setUpBooleanFlag('p', 'prod', 'f');
  return admin.request('GET', '/projects/p/environments/prod/flags/f/impact');
}

describe('the local stack with prometheus: auto', () => {
  let stack: LocalStack | undefined;
  let own: PrometheusHarness | undefined;
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'fs-stack-prom-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    await stack?.stop();
    await own?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('starts a private Prometheus that scrapes each evaluator, the workers and the controller, and stops it with the stack', async () => {
    // Nothing listens there: the stack must start its own, on that port (npm start: 9090).
    const asked = `http://127.0.0.1:${await freePort()}`;
    stack = await startLocalStack(stackOptions(tempDir(), asked));
    expect(stack.privatePrometheus).toBe(true);
    expect(stack.prometheusUrl).toBe(asked);
    expect(stack.scrapeTargets).toHaveLength(4); // two evaluators, the workers, the controller
    const url = stack.prometheusUrl!;
    expect(await upOfTargets(url, 'flagship', stack.scrapeTargets)).toEqual(
      Object.fromEntries(stack.scrapeTargets.map((t) => [t, 1])),
    );
    expect((await impactStatus(stack)).status).toBe(200);
    await stack.stop();
    stack = undefined;
    await expect(fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 120_000);

  it('uses a Prometheus that already answers, starts none, and names the targets that one must scrape', async () => {
    own = await startPrometheus({ targets: [], jobName: 'yours' });
    stack = await startLocalStack(stackOptions(tempDir(), own.url));
    expect(stack.privatePrometheus).toBe(false);
    expect(stack.prometheusUrl).toBe(own.url);
    expect((await impactStatus(stack)).status).toBe(200);
    // The targets npm start prints are the ones to scrape: each answers /metrics.
    await own.reload(stack.scrapeTargets);
    expect(await upOfTargets(own.url, 'yours', stack.scrapeTargets)).toEqual(
      Object.fromEntries(stack.scrapeTargets.map((t) => [t, 1])),
    );
  }, 120_000);
});
