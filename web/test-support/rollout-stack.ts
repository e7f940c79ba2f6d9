/**
 * The real stack for the rollout pages' browser test: a private Prometheus (Debian's binary,
 * testing/prometheus-harness.ts) scraping demo services that evaluate their flag through the
 * evaluator under steady load (scripts/demo, read-only use), a one-minute policy in a temporary
 * POLICIES_DIR, and the stack with the console, whose PROMETHEUS_URL / CONSOLE_PROMETHEUS_URL
 * point at that Prometheus (startConsoleStack takes no environment, hence this starter).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startDemoService, type DemoService } from '../../scripts/demo/demo-service.ts';
import { startLoad, type LoadRun } from '../../scripts/demo/load-driver.ts';
import { AdminClient } from '../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../scripts/stack/local-stack.ts';
import { freePort, type PrometheusHarness, startPrometheus } from '../../testing/prometheus-harness.ts';
import { ensureConsoleBuilt } from './console-stack.ts';

const counts = (name: string) =>
  `sum(increase(app_${name}{flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"}[{{window}}]))`;

/** The demo's policy (scripts/demo/run-demo.ts): four steps of seconds, 5 s ticks. */
export const QUICK_POLICY = `name: quick
description: A one-minute ramp for tests (5 s ticks).
steps:
  - { weight: 10, minDuration: 10s, minSamples: 50, maxDuration: 2m }
  - { weight: 25, minDuration: 10s, minSamples: 50, maxDuration: 2m }
  - { weight: 50, minDuration: 10s, minSamples: 50, maxDuration: 2m }
  - { weight: 100, minDuration: 5s }
analysis: { interval: 5s, initialDelay: 5s, prometheus: { timeout: 2s } }
traffic: { query: '${counts('requests_total')}' }
metrics:
  - name: error-ratio
    kind: threshold
    query: '${counts('request_errors_total')} / ${counts('requests_total')}'
    max: 0.05
  - name: errors-vs-control
    kind: comparison
    errorsQuery: '${counts('request_errors_total')}'
    totalQuery: '${counts('requests_total')}'
    alpha: 0.05
    maxIncrease: 0.01
onFailure: rollback
onInconclusive: pause
onError: pause
`;

export interface DemoFlag {
  key: string;
  /** Probability of a 500 per variant served. */
  errorRates: Record<string, number>;
}

export interface RolloutStack {
  stack: LocalStack;
  consoleUrl: string;
  adminToken: string;
  admin: AdminClient;
  prometheus: PrometheusHarness;
  /** Project `demo`, environment `prod`: one flag per entry with variants on/off, off served. */
  project: string;
  environment: string;
  mintKey(o: { name: string; owner: string; role: string }): Promise<string>;
  stop(): Promise<void>;
}

/** Starts Prometheus, the stack with the console, the flags, and a demo service under `rps` load per flag. */
export async function startRolloutStack(flags: DemoFlag[], o: { rps?: number } = {}): Promise<RolloutStack> {
  await ensureConsoleBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'fs-rollout-console-'));
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'quick.yaml'), QUICK_POLICY);
  const ports = await Promise.all(flags.map(() => freePort()));
  const prometheus = await startPrometheus({ targets: ports.map((p) => `127.0.0.1:${p}`) });
  const adminToken = `fsk_test_${randomBytes(24).toString('base64url')}`;
  const keyPrefix = `fsr${randomBytes(3).toString('hex')}:`;
  const queuePrefix = `fsrq${randomBytes(3).toString('hex')}`;
  let stack: LocalStack | undefined;
  const demos: DemoService[] = [];
  const loads: LoadRun[] = [];
  const stop = async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await Promise.all(demos.map((d) => d.stop()));
    await stack?.stop();
    await prometheus.stop();
    if (stack) {
      // This stack's keys on the shared Redis go with it.
      const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
      for (const pattern of [`${keyPrefix}*`, `${queuePrefix}:*`]) {
        let cursor = '0';
        for (let i = 0; i < 1_000; i++) {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
          if (cursor === '0') break;
        }
      }
      redis.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    stack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [0],
      dataDir: dir,
      adminToken,
      keyPrefix,
      consolePort: 0,
      supervisor: { echo: process.env.CONSOLE_TEST_ECHO === '1' },
      env: {
        PROMETHEUS_URL: prometheus.url,
        CONSOLE_PROMETHEUS_URL: prometheus.url,
        POLICIES_DIR: policies,
        QUEUE_PREFIX: queuePrefix,
      },
    });
    // Prometheus also scrapes the evaluator, whose exposure counts the impact page charts.
    await prometheus.reload([
      ...ports.map((p) => `127.0.0.1:${p}`),
      ...stack.evaluatorAdminUrls.map((u) => new URL(u).host),
    ]);
    const admin = new AdminClient(stack.apiUrl, adminToken);
    const { sdkKey } = await admin.setUpBooleanFlag('demo', 'prod', flags[0]!.key);
    for (const f of flags.slice(1))
      await admin.ok('POST', '/projects/demo/flags', {
        key: f.key,
        type: 'boolean',
        variants: { on: true, off: false },
      });
    for (const f of flags) {
      const current = await admin.ok<{ version: number }>('GET', `/projects/demo/environments/prod/flags/${f.key}`);
      await admin.putConfig('demo', 'prod', f.key, current.version, { enabled: true, defaultRule: { variant: 'off' } });
    }
    for (const [i, f] of flags.entries()) {
      const d = await startDemoService({
        port: ports[i]!,
        evaluatorUrl: stack.evaluatorUrls[0]!,
        sdkKey,
        flag: f.key,
        environment: 'demo.prod',
        errorRates: { ...f.errorRates },
      });
      demos.push(d);
      loads.push(startLoad({ url: d.url, rps: o.rps ?? 100, users: 50_000, durationMs: 10 * 60_000 }));
    }
    // Every demo service (and the evaluator) scraped before a rollout reads its counters.
    const targets = flags.length + stack.evaluatorAdminUrls.length;
    for (let i = 0; i < 60; i++) {
      const r = (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum(up{job="demo"})')}`).then(
        (x) => x.json(),
      )) as { data: { result: Array<{ value: [number, string] }> } };
      if (Number(r.data.result[0]?.value[1]) === targets) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    return {
      stack,
      consoleUrl: stack.consoleUrl!,
      adminToken,
      admin,
      prometheus,
      project: 'demo',
      environment: 'prod',
      async mintKey(k) {
        const r = await admin.ok<{ token: string }>('POST', '/api-keys', {
          name: k.name,
          owner: k.owner,
          role: k.role,
          environments: null,
        });
        return r.token;
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
