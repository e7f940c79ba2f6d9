/**
 * Rollouts end to end, with every part real: the stack as `npm start` runs it (controller, workers,
 * two evaluators; MariaDB in a database of this test's own; the shared Redis under a unique
 * prefix, BullMQ included), demo services that evaluate their flag over OFREP and count requests
 * and errors per variant, load drivers, and a private Prometheus scraping the demo services every
 * second. Four flags are rolled out at once, each showing one behaviour that docs/api.md
 * (Rollouts) describes.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@flagship/controller';
import { createTestDatabase, type TestDatabase } from '@flagship/controller/testing';
import { startDemoService, type DemoService } from '../../../scripts/demo/demo-service.ts';
import { startLoad, type LoadRun } from '../../../scripts/demo/load-driver.ts';
import { AdminClient } from '../../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../../scripts/stack/local-stack.ts';
import {
  freePort,
  queryPrometheus,
  startPrometheus,
  type PrometheusHarness,
} from '../../../testing/prometheus-harness.ts';
import { eventually, testRedis, uniquePrefix } from '../test-support/fixtures.ts';

const INTERVAL_MS = 2_000;
const TRAFFIC =
  'sum(increase(app_requests_total{flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"}[{{window}}]))';
const ERRORS =
  'sum(increase(app_request_errors_total{flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"}[{{window}}]))';
const ERROR_RATIO = `${ERRORS} / ${TRAFFIC}`;

/** A fast policy: 2 s ticks, three steps of a few seconds, an error-ratio guard and a comparison. */
function policyYaml(name: string, o: { minSamples?: number; address?: string } = {}): string {
  return [
    `name: ${name}`,
    'steps:',
    `  - { weight: 20, minDuration: 4s, minSamples: ${o.minSamples ?? 20}, maxDuration: 2m }`,
    `  - { weight: 50, minDuration: 4s, minSamples: ${o.minSamples ?? 20}, maxDuration: 2m }`,
    '  - { weight: 100, minDuration: 2s }',
    'analysis:',
    `  interval: ${INTERVAL_MS / 1000}s`,
    `  initialDelay: ${INTERVAL_MS / 1000}s`,
    `  prometheus: { timeout: 1500ms${o.address ? `, address: "${o.address}"` : ''} }`,
    `traffic: { query: '${TRAFFIC}' }`,
    'metrics:',
    '  - name: error-ratio',
    '    kind: threshold',
    `    query: '${ERROR_RATIO}'`,
    '    max: 0.05',
    '    consecutiveErrorLimit: 1',
    '  - name: errors-vs-control',
    '    kind: comparison',
    `    errorsQuery: '${ERRORS}'`,
    `    totalQuery: '${TRAFFIC}'`,
    '    alpha: 0.05',
    '    maxIncrease: 0.02',
    '    consecutiveErrorLimit: 1',
    'onFailure: rollback',
    'onInconclusive: pause',
    'onError: pause',
    '',
  ].join('\n');
}

interface RolloutView {
  id: number;
  status: string;
  step: number;
  weightPercent: number;
  lastReason: string | null;
  timeline: Array<{ kind: string; stepIndex: number; weightUnits: number; actor: string }>;
  ticks: Array<{
    seq: number;
    decision: string;
    reason: string;
    evidence: {
      queries: Array<{ query: string; measurement: unknown }>;
      metrics: Array<{ name: string; verdict: string; threshold: unknown }>;
    };
  }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the API every 200 ms (not every 10 ms: each poll is an HTTP call), bounded by `ms`. */
const until = <T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> =>
  eventually(check, ms, what, 200);

describe('rollouts end to end', () => {
  const prefix = uniquePrefix();
  const adminToken = `fsk_test_${randomBytes(16).toString('hex')}`;
  const flags = ['healthy', 'failing', 'quiet', 'blind'] as const;
  let db: TestDatabase;
  let dir: string;
  let stack: LocalStack;
  let prometheus: PrometheusHarness;
  let admin: AdminClient;
  let sdkKey: string;
  const demos = new Map<string, DemoService>();
  const loads: LoadRun[] = [];
  let hooks: Server;
  const received: Array<{ event: string; body: string; valid: boolean }> = [];

  beforeAll(async () => {
    db = await createTestDatabase('mysql', { migrate: false });
    dir = mkdtempSync(join(tmpdir(), 'fs-rollouts-'));
    const policies = join(dir, 'policies');
    mkdirSync(policies);
    writeFileSync(join(policies, 'e2e.yaml'), policyYaml('e2e'));
    writeFileSync(join(policies, 'e2e-quiet.yaml'), policyYaml('e2e-quiet', { minSamples: 1_000_000 }));
    writeFileSync(join(policies, 'e2e-blind.yaml'), policyYaml('e2e-blind', { address: 'http://127.0.0.1:1' }));

    const demoPorts = await Promise.all(flags.map(() => freePort()));
    prometheus = await startPrometheus({ targets: demoPorts.map((p) => `127.0.0.1:${p}`) });
    stack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [0, 0],
      keyPrefix: prefix,
      dataDir: dir,
      adminToken,
      databaseUrl: db.config.databaseUrl,
      privateRedisFallback: false,
      supervisor: { echo: false },
      env: {
        PROMETHEUS_URL: prometheus.url,
        POLICIES_DIR: policies,
        QUEUE_PREFIX: `${prefix}q`,
        WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      },
    });
    admin = new AdminClient(stack.apiUrl, adminToken);
    ({ sdkKey } = await admin.setUpBooleanFlag('shop', 'prod', 'healthy'));
    for (const flag of flags) {
      if (flag !== 'healthy')
        await admin.ok('POST', '/projects/shop/flags', {
          key: flag,
          type: 'boolean',
          variants: { on: true, off: false },
        });
      const current = await admin.ok<{ version: number }>('GET', `/projects/shop/environments/prod/flags/${flag}`);
      // Everyone on control before the rollout starts.
      await admin.putConfig('shop', 'prod', flag, current.version, { enabled: true, defaultRule: { variant: 'off' } });
    }
    // A webhook receiver that checks every signature.
    const secret = 'e2e-webhook-secret-0123456789';
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const ts = Number(req.headers['x-flagship-timestamp']);
        received.push({
          event: String(req.headers['x-flagship-event']),
          body,
          valid: verifyWebhook(secret, ts, body, String(req.headers['x-flagship-signature'])),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    const hookPort = (hooks.address() as { port: number }).port;
    await admin.ok('POST', '/webhooks', { url: `http://127.0.0.1:${hookPort}/hook`, secret });

    for (const [i, flag] of flags.entries()) {
      const demo = await startDemoService({
        port: demoPorts[i]!,
        evaluatorUrl: stack.evaluatorUrls[i % 2]!,
        sdkKey,
        flag,
        environment: 'shop.prod',
        // Zero errors where healthy: a 2 s window holds ~30 treatment requests, where one stray
        // error would already read as a 3-6% error ratio against the 5% guard.
        errorRates: { on: flag === 'failing' ? 0.5 : 0, off: 0 },
      });
      demos.set(flag, demo);
      loads.push(startLoad({ url: demo.url, rps: flag === 'quiet' ? 2 : 80, users: 100_000, durationMs: 170_000 }));
    }
    // Prometheus sees the demo services (its first scrape comes ~5 s after start).
    await until('Prometheus scraping every demo service', 30_000, async () => {
      const up = await queryPrometheus(prometheus.url, 'sum(up{job="demo"})');
      return Number(up[0]?.value[1]) === flags.length ? true : undefined;
    });
  }, 180_000);

  afterAll(async () => {
    for (const l of loads) void l.stop();
    await Promise.all([...demos.values()].map((d) => d.stop()));
    await new Promise((r) => hooks?.close(r));
    await stack?.stop();
    await prometheus?.stop();
    await testRedis(prefix).cleanup();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const rollout = (id: number) => admin.ok<RolloutView>('GET', `/rollouts/${id}`);
  /** A rollout's state and its last ticks, for a failure message. */
  const explain = async (id: number) => {
    const r = await rollout(id);
    return {
      status: r.status,
      step: r.step,
      lastReason: r.lastReason,
      ticks: r.ticks
        .slice(0, 3)
        .map((t) => ({ seq: t.seq, decision: t.decision, reason: t.reason, metrics: t.evidence.metrics })),
    };
  };
  const start = (flag: string, policy: string) =>
    admin.ok<{ id: number; status: string; weightPercent: number }>(
      'POST',
      `/projects/shop/environments/prod/flags/${flag}/rollouts`,
      { policy, treatment: 'on', control: 'off' },
    );
  /** Share of 200 users the evaluator serves the treatment. */
  async function treatmentShare(flag: string): Promise<number> {
    let on = 0;
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${stack.evaluatorUrls[0]}/ofrep/v1/evaluate/flags/${flag}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ context: { targetingKey: `probe-${i}` } }),
      });
      if (((await r.json()) as { variant?: string }).variant === 'on') on++;
    }
    return on / 200;
  }

  it('all four rollouts behave as their policy and metrics say', async () => {
    const started = {
      healthy: await start('healthy', 'e2e'),
      failing: await start('failing', 'e2e'),
      quiet: await start('quiet', 'e2e-quiet'),
      blind: await start('blind', 'e2e-blind'),
    };
    for (const r of Object.values(started)) expect(r).toMatchObject({ status: 'running', weightPercent: 20 });

    // --- A raised error ratio: back to 0% within one interval + 5 s of the guard first failing.
    const guard = ERROR_RATIO.replaceAll('{{flag}}', 'failing')
      .replaceAll('{{variant}}', 'on')
      .replaceAll('{{environment}}', 'shop.prod')
      .replaceAll('{{window}}', '10s');
    const firstFailing = await until('the failing guard to be visible in Prometheus', 60_000, async () => {
      const v = Number((await queryPrometheus(prometheus.url, guard))[0]?.value[1]);
      return v > 0.05 ? Date.now() : undefined;
    });
    const reverted = await until(
      'the failing treatment to be served to nobody',
      INTERVAL_MS + 5_000 + 10_000,
      async () => ((await treatmentShare('failing')) === 0 ? Date.now() : undefined),
    );
    expect(reverted - firstFailing).toBeLessThanOrEqual(INTERVAL_MS + 5_000);
    const failing = await rollout(started.failing.id);
    expect(failing).toMatchObject({ status: 'rolled-back', weightPercent: 0 });
    expect(failing.lastReason).toMatch(/error-ratio|errors-vs-control/);
    const verdictTick = failing.ticks.find((t) => t.decision === 'rollback')!;
    expect(
      verdictTick.evidence.queries.some((q) => q.query.includes('variant="on"') && q.query.includes('flag="failing"')),
    ).toBe(true);
    expect(verdictTick.evidence.metrics.some((m) => m.verdict === 'fail')).toBe(true);

    // --- Healthy: advances; a worker killed mid-rollout is replaced; every step applied exactly once.
    await until('the healthy rollout at step 2', 60_000, async () =>
      (await rollout(started.healthy.id)).step >= 2 ? true : undefined,
    ).catch(async (error) => {
      throw new Error(`${error.message}; rollout: ${JSON.stringify(await explain(started.healthy.id))}`);
    });
    stack.workers.process.kill('SIGKILL');
    await stack.workers.exited;
    await sleep(INTERVAL_MS * 1.5); // ticks due now go unprocessed: the replacement must pick them up
    const replacement = await stack.startWorkers();
    const healthy = await until('the healthy rollout to complete', 90_000, async () => {
      const r = await rollout(started.healthy.id);
      return r.status === 'completed' ? r : undefined;
    }).catch(async (error) => {
      throw new Error(
        `${error.message}; rollout: ${JSON.stringify(await explain(started.healthy.id))}; workers: ${replacement.lastLines.slice(-15).join(' | ')}`,
      );
    });
    expect(replacement.process.exitCode).toBeNull();
    expect(healthy.weightPercent).toBe(100);
    expect(healthy.timeline.map((e) => e.kind)).toEqual(['started', 'advanced', 'advanced', 'completed']);
    expect(healthy.timeline.slice(1).every((e) => e.actor === 'rollout-controller')).toBe(true);
    const audit = await admin.ok<{ items: Array<{ action: string; after: { defaultRule?: unknown } | null }> }>(
      'GET',
      '/audit?flag=healthy&limit=100',
    );
    const steps = audit.items
      .filter((e) => e.action === 'rollout.advance' || e.action === 'rollout.complete')
      .map((e) => JSON.stringify(e.after?.defaultRule))
      .reverse();
    // 20% -> 50% -> 100%, each written once: none repeated, none skipped.
    expect(steps).toEqual([
      JSON.stringify({
        split: [
          { variant: 'on', weight: 50_000 },
          { variant: 'off', weight: 50_000 },
        ],
      }),
      JSON.stringify({ variant: 'on' }),
    ]);
    const ticks = healthy.ticks.map((t) => t.seq).sort((a, b) => a - b);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(await treatmentShare('healthy')).toBe(1);

    // --- Too little traffic: held at step 1, never failed.
    // (Its ticks also waited while the workers process was down.)
    const quiet = await until('three ticks of the quiet rollout', 30_000, async () => {
      const r = await rollout(started.quiet.id);
      return r.ticks.length >= 3 ? r : undefined;
    });
    expect(quiet).toMatchObject({ status: 'running', step: 1, weightPercent: 20 });
    expect(quiet.ticks.every((t) => t.decision === 'hold' && /low traffic/.test(t.reason))).toBe(true);

    // --- Prometheus unreachable: provider errors lead to the policy's pause; never advanced.
    const blind = await until('the blind rollout to pause', 30_000, async () => {
      const r = await rollout(started.blind.id);
      return r.status === 'paused' ? r : undefined;
    });
    expect(blind).toMatchObject({ step: 1, weightPercent: 20 });
    expect(blind.ticks.every((t) => t.decision !== 'advance')).toBe(true);
    expect(blind.lastReason).toMatch(/failed \d+ times in a row|provider error/);

    // --- Webhooks: signed, for the step completed, the rollback, the pause and the completion.
    await until('webhooks', 20_000, async () => {
      const events = new Set(received.map((r) => r.event));
      return ['rollout.step_completed', 'rollout.rolled_back', 'rollout.paused', 'rollout.completed'].every((e) =>
        events.has(e),
      )
        ? true
        : undefined;
    });
    expect(received.every((r) => r.valid)).toBe(true);
  }, 240_000);
});
