/**
 * npm run demo — the rollout controller doing its job, on this machine:
 * the stack (controller, workers, 2 evaluators, the console), a private Prometheus (Debian's
 * `prometheus`) scraping the stack and two demo services that evaluate their flag through the
 * evaluator and count requests and errors per variant, steady load on both, and two rollouts:
 *   - new-checkout: its treatment is healthy, so it advances step by step to 100%;
 *   - new-search: its treatment fails 25% of requests, so it is reverted automatically.
 * Prints what happens and where to read why: the console pages of both rollouts, their impact
 * pages and the rollback review, with the admin key to sign in with. DEMO_EXIT=1 stops everything
 * at the end; otherwise the stack keeps running (Ctrl-C stops it) so the URLs it printed can be read.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPrometheus } from '../../testing/prometheus-harness.ts';
import { AdminClient } from '../stack/admin-client.ts';
import { startLocalStack } from '../stack/local-stack.ts';
import { startDemoService } from './demo-service.ts';
import { startLoad } from './load-driver.ts';

const say = (m: string) => console.log(`demo: ${m}`);
const dir = mkdtempSync(join(tmpdir(), 'fs-demo-'));
const policies = join(dir, 'policies');
mkdirSync(policies);
const counts = (name: string) =>
  `sum(increase(app_${name}{flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"}[{{window}}]))`;
// The shipped policies take minutes to hours; this one takes about a minute.
writeFileSync(
  join(policies, 'demo.yaml'),
  `name: demo
description: A one-minute ramp for the demo (5 s ticks).
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
`,
);

const flags = [
  { key: 'new-checkout', errorRates: { on: 0.002, off: 0.002 }, expect: 'completed' },
  { key: 'new-search', errorRates: { on: 0.25, off: 0.002 }, expect: 'rolled-back' },
] as const;
const demoPorts = await Promise.all(flags.map(() => freePort()));
// CONSOLE_PORT: where the console listens (default a free port).
const consolePort = Number(process.env.CONSOLE_PORT || 0);
if (!Number.isInteger(consolePort) || consolePort < 0 || consolePort > 65535) {
  console.error(
    `demo: CONSOLE_PORT must be an integer 0..65535 (0: a free one), got ${JSON.stringify(process.env.CONSOLE_PORT)}`,
  );
  process.exit(1);
}
say('starting a private Prometheus (scrapes every second)');
const prometheus = await startPrometheus({ targets: demoPorts.map((p) => `127.0.0.1:${p}`) });
const adminToken = `fsk_demo_${randomBytes(16).toString('hex')}`;
const keyPrefix = `fs-demo-${randomBytes(3).toString('hex')}:`;
const queuePrefix = `fsq-demo-${randomBytes(3).toString('hex')}`;
say('starting the stack: controller, workers, 2 evaluators, the console');
const stack = await startLocalStack({
  controllerPort: 0,
  evaluatorPorts: [0, 0],
  keyPrefix,
  dataDir: dir,
  adminToken,
  consolePort,
  supervisor: { echo: false },
  env: {
    PROMETHEUS_URL: prometheus.url,
    CONSOLE_PROMETHEUS_URL: prometheus.url,
    POLICIES_DIR: policies,
    QUEUE_PREFIX: queuePrefix,
  },
});
// Prometheus scrapes the stack too: the evaluators' exposure counts are what the impact pages chart.
await prometheus.reload([...demoPorts.map((p) => `127.0.0.1:${p}`), ...stack.scrapeTargets]);
const stopAll = async () => {
  for (const l of loads) void l.stop();
  await Promise.all(demos.map((d) => d.stop()));
  await stack.stop();
  await prometheus.stop();
  // The demo's keys on a shared Redis go with it (its database and data folder do too).
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
  for (const pattern of [`${keyPrefix}*`, `${queuePrefix}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
};
const admin = new AdminClient(stack.apiUrl, adminToken);
const { sdkKey } = await admin.setUpBooleanFlag('demo', 'prod', flags[0].key);
await admin.ok('POST', '/projects/demo/flags', {
  key: flags[1].key,
  type: 'boolean',
  variants: { on: true, off: false },
  trackExposures: true,
});
// Evaluators count a flag per variant only while a rollout is active unless it opts in: with the
// opt-in, the impact pages keep counting after the rollouts end, while the demo keeps running.
const first = await admin.ok<{ salt: string; version: number }>('GET', `/projects/demo/flags/${flags[0].key}`);
await admin.ok('PUT', `/projects/demo/flags/${flags[0].key}`, {
  key: flags[0].key,
  type: 'boolean',
  variants: { on: true, off: false },
  salt: first.salt,
  trackExposures: true,
  version: first.version,
});
for (const f of flags) {
  const current = await admin.ok<{ version: number }>('GET', `/projects/demo/environments/prod/flags/${f.key}`);
  await admin.putConfig('demo', 'prod', f.key, current.version, { enabled: true, defaultRule: { variant: 'off' } });
}
const demos = await Promise.all(
  flags.map((f, i) =>
    startDemoService({
      port: demoPorts[i]!,
      evaluatorUrl: stack.evaluatorUrls[i % 2]!,
      sdkKey,
      flag: f.key,
      environment: 'demo.prod',
      errorRates: { ...f.errorRates },
    }),
  ),
);
const loads = demos.map((d) => startLoad({ url: d.url, rps: 100, users: 50_000, durationMs: 10 * 60_000 }));
say(`demo services at ${demos.map((d) => d.url).join(' and ')}, 100 requests/s each`);
say('waiting for Prometheus to scrape them');
for (let i = 0; i < 60; i++) {
  const r = (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum(up{job="demo"})')}`).then(
    (x) => x.json(),
  )) as { data: { result: Array<{ value: [number, string] }> } };
  if (Number(r.data.result[0]?.value[1]) === flags.length + stack.scrapeTargets.length) break;
  await new Promise((r) => setTimeout(r, 500));
}

const ids = new Map<string, number>();
for (const f of flags) {
  const r = await admin.ok<{ id: number }>('POST', `/projects/demo/environments/prod/flags/${f.key}/rollouts`, {
    policy: 'demo',
    treatment: 'on',
    control: 'off',
    reason: 'demo',
  });
  ids.set(f.key, r.id);
  say(
    `started rollout ${r.id} of ${f.key} with policy "demo" (treatment "on", control "off"; its treatment fails ${f.errorRates.on * 100}% of requests)`,
  );
}

type View = {
  id: number;
  status: string;
  step: number;
  steps: number;
  weightPercent: number;
  lastReason: string | null;
};
const last = new Map<string, string>();
const deadline = Date.now() + 5 * 60_000;
let done = false;
while (!done && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 2_000));
  done = true;
  for (const f of flags) {
    const r = await admin.ok<View>('GET', `/rollouts/${ids.get(f.key)}`);
    const line = `${f.key}: ${r.status}, step ${r.step}/${r.steps}, treatment at ${r.weightPercent}%`;
    if (last.get(f.key) !== line) say(`${line}${r.lastReason ? ` (${r.lastReason})` : ''}`);
    last.set(f.key, line);
    if (r.status === 'running' || r.status === 'awaiting-approval') done = false;
  }
}

let ok = true;
say('');
say('what happened:');
for (const f of flags) {
  const r = await admin.ok<
    View & { timeline: Array<{ at: string; kind: string; weightUnits: number; actor: string; reason: string | null }> }
  >('GET', `/rollouts/${ids.get(f.key)}`);
  ok &&= r.status === f.expect;
  say(`  ${f.key} -> ${r.status} (expected ${f.expect})`);
  for (const e of r.timeline)
    say(
      `     ${e.at}  ${e.kind.padEnd(10)} ${String(e.weightUnits / 1000).padStart(5)}%  by ${e.actor}${e.reason ? `: ${e.reason}` : ''}`,
    );
}
say('');
say(`what happened, in the console (${stack.consoleUrl}; sign in with the admin key below):`);
for (const f of flags) {
  say(`  ${stack.consoleUrl}/rollouts/${ids.get(f.key)}    ${f.key}: the verdict, the charts, every tick`);
  say(`  ${stack.consoleUrl}/projects/demo/environments/prod/flags/${f.key}/impact    ${f.key}: exposures per variant`);
}
say(`  ${stack.consoleUrl}/rollouts/review    the rollback review`);
say('where to read why in the API (send the admin key as "Authorization: Bearer <key>"):');
for (const f of flags)
  say(
    `  ${stack.apiUrl}/rollouts/${ids.get(f.key)}    timeline, and every tick's queries, raw values, thresholds, statistic and verdict`,
  );
say(`  ${stack.apiUrl}/audit?project=demo    every change, the controller's included`);
say(`  ${prometheus.url}/graph    the demo services' counters (app_requests_total, app_request_errors_total)`);
say(`  admin key: ${adminToken}`);
if (process.env.DEMO_EXIT === '1') {
  await stopAll();
  process.exit(ok ? 0 : 1);
}
say('the stack keeps running so you can read those; Ctrl-C stops everything');
process.on('SIGINT', () => void stopAll().then(() => process.exit(ok ? 0 : 1)));
process.on('SIGTERM', () => void stopAll().then(() => process.exit(ok ? 0 : 1)));
