/**
 * The product's rules in a real Prometheus scraping a real stack (issue 14): `npm start`'s private
 * Prometheus (scripts/stack/local-stack.ts, `prometheus: 'auto'`) loads prometheus/rules/ unchanged,
 * records every SLO, and when the workers process (the snapshot publisher) is stopped,
 * FlagshipWorkersAbsent goes pending. Its condition is the one reachable within a test: the others
 * need minutes to hours of burn; this one needs one failed scrape (5 s) and one evaluation (5 s).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../scripts/stack/local-stack.ts';
import { freePort, queryPrometheus, waitForSeries } from '../testing/prometheus-harness.ts';

let stack: LocalStack | undefined;
const dir = mkdtempSync(join(tmpdir(), 'fs-rules-stack-'));
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('loads the rules into the stack Prometheus; stopping the workers makes FlagshipWorkersAbsent pending', async () => {
  // Nothing listens there: the stack starts its own Prometheus, as npm start does on a fresh machine.
  const asked = `http://127.0.0.1:${await freePort()}`;
  stack = await startLocalStack({
    controllerPort: 0,
    evaluatorPorts: [0],
    dataDir: dir,
    adminToken: `fsk_test_${randomBytes(16).toString('hex')}`,
    keyPrefix: `fsr${randomBytes(3).toString('hex')}:`,
    env: { PROMETHEUS_URL: asked },
    prometheus: 'auto',
    supervisor: { echo: false },
  });
  expect(stack.privatePrometheus).toBe(true);
  const url = stack.prometheusUrl!;

  // Every SLO's objective is recorded: the rule files were loaded, unchanged.
  const objectives = await waitForSeries(url, 'slo:objective:ratio', (s) => s.length === 6, 30_000);
  expect(Object.fromEntries(objectives.map((s) => [s.metric.slo, Number(s.value[1])]))).toMatchObject({
    'evaluator-availability': 0.9999,
    propagation: 0.999,
  });
  // The workers are scraped (two 5 s discovery batches and a scrape, with margin), and the alert is quiet.
  await waitForSeries(url, 'flagship_workers_up == 1', (s) => s.length === 1, 45_000);
  await new Promise((r) => setTimeout(r, 6_000)); // one more evaluation with the workers up
  expect(await queryPrometheus(url, 'ALERTS{alertname="FlagshipWorkersAbsent"}')).toEqual([]);

  stack.workers.process.kill('SIGTERM');
  await stack.workers.exited;
  const stoppedAt = Date.now();
  const alerts = await waitForSeries(
    url,
    'ALERTS{alertname="FlagshipWorkersAbsent"}',
    (s) => s.some((a) => a.metric.alertstate === 'pending'),
    30_000,
  );
  expect(alerts[0]?.metric).toMatchObject({ severity: 'critical', alertstate: 'pending' });
  // A failed scrape marks the series stale, and the next evaluation sees it: about 10 s.
  expect(Date.now() - stoppedAt).toBeLessThan(30_000);
}, 180_000);
