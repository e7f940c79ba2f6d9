/**
 * npm run load -- <scenario> [options] — runs a scenario of k6/scenarios.ts with the npm load
 * generator, against URLs given or a private stack it starts (load-target.ts), and prints a JSON
 * summary (last line) with the scenario's thresholds checked; exit code 1 when one fails (k6's
 * is 99).
 *
 *   npm run load -- single | bulk | spike          OFREP at the scenario's arrival rate (load process)
 *   npm run load -- admin-writes                   admin API writes
 *   npm run load -- sse-fanout                     streams held open while admin writes change a flag
 *   npm run load -- prepare --api-url U --admin-token T
 *                                                  sets the load project up on a running stack and
 *                                                  prints the -e options of the k6 scripts
 * Options: --evaluator-url U --sdk-key K (OFREP, streams), --api-url U --admin-token T (writes,
 * prepare); without them a private stack is started. --duration 10s shortens a constant scenario.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import {
  type ArrivalScenario,
  type FanOutScenario,
  LOAD_ENVIRONMENT,
  LOAD_PROJECT,
  loadFlagConfig,
  loadFlagKey,
  type ScenarioName,
  scenarios,
} from '../../k6/scenarios.ts';
import { AdminClient } from '../stack/admin-client.ts';
import { subscribeSnapshots } from '../stack/sse-client.ts';
import { durationSeconds } from './arrival-schedule.ts';
import { runAsyncArrivals } from './async-arrivals.ts';
import { forkLoad } from './fork-load.ts';
import { checkThresholds, distribution, latencies, summarise } from './load-records.ts';
import { flagPath, type LoadTarget, setUpLoadProject, startLoadStack } from './load-target.ts';
import { rawOfrepRequests } from './request-shapes.ts';

const log = (m: string) => process.stderr.write(`load: ${m}\n`);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'evaluator-url': { type: 'string' },
    'sdk-key': { type: 'string' },
    'api-url': { type: 'string' },
    'admin-token': { type: 'string' },
    duration: { type: 'string' },
  },
});

function usage(problem: string): never {
  process.stderr.write(
    `load: ${problem}\nusage: npm run load -- <${[...Object.keys(scenarios), 'prepare'].join('|')}> [--evaluator-url U --sdk-key K] [--api-url U --admin-token T] [--duration 10s]\n`,
  );
  process.exit(2);
}

/** URLs given, or a private stack (stopped at the end). */
async function target(): Promise<LoadTarget> {
  const evaluatorUrl = values['evaluator-url'];
  if (evaluatorUrl === undefined) return startLoadStack();
  return {
    evaluatorUrl: evaluatorUrl.replace(/\/+$/, ''),
    evaluatorAdminUrl: undefined,
    apiUrl: values['api-url']?.replace(/\/+$/, ''),
    sdkKey: values['sdk-key'],
    adminToken: values['admin-token'],
    evaluatorPid: undefined,
    stop: async () => {},
  };
}

function need(v: string | undefined, option: string): string {
  if (v === undefined || v === '') usage(`--${option} is required with a URL given`);
  return v;
}

/** The scenario with --duration applied (constant executors only: a spike's stages are its shape). */
function withDuration<S extends ArrivalScenario | FanOutScenario>(s: S): S {
  const d = values.duration;
  if (d === undefined) return s;
  durationSeconds(d); // throws naming a bad value
  if (s.executor === 'ramping-arrival-rate') usage('--duration applies to constant scenarios, not the spike');
  return { ...s, duration: d };
}

async function ofrepScenario(name: string, s: ArrivalScenario, t: LoadTarget) {
  const url = new URL(t.evaluatorUrl);
  const requests = rawOfrepRequests(s.request, url.host, need(t.sdkKey, 'sdk-key')).map((b) => b.toString());
  const port = Number(url.port || 80);
  const r = await forkLoad({ host: url.hostname, port, requests, executor: s, timeoutMs: 10_000, drainMs: 10_000 });
  const summary = summarise(r.records, r.seconds, r.dropped);
  const sorted = {
    http_req_duration: latencies(r.records, (i) => r.records.status[i] !== 0),
    admitted_duration: latencies(r.records, (i) => r.records.status[i] === 200),
  };
  const thresholds = checkThresholds(s.thresholds, metricValues(summary), (m) => sorted[m as keyof typeof sorted]);
  return { load: name, metrics: { ...summary, load_generator_cpu_cores: round(r.cpuCores) }, thresholds };
}

async function adminScenario(name: string, s: ArrivalScenario, t: LoadTarget) {
  const admin = new AdminClient(need(t.apiUrl, 'api-url'), need(t.adminToken, 'admin-token'));
  const flags = s.request.kind === 'admin-write' ? s.request.flags : 1;
  const r = await runAsyncArrivals(s, (i, record) => adminWrite(admin, i % flags, record), 2);
  const summary = summarise(r.records, r.seconds, r.dropped, false);
  const sorted = { http_req_duration: latencies(r.records, (i) => r.records.status[i] !== 0) };
  const thresholds = checkThresholds(s.thresholds, metricValues(summary), (m) => sorted[m as keyof typeof sorted]);
  return { load: name, metrics: summary, thresholds };
}

/** GET the flag's config, PUT it back with the default variant flipped: two recorded requests. */
async function adminWrite(admin: AdminClient, flagIndex: number, record: (status: number, ms: number) => void) {
  const flag = loadFlagKey(flagIndex);
  let t = performance.now();
  const current = await admin.request<{ version: number; defaultRule?: { variant?: string } }>('GET', flagPath(flag));
  record(current.status, performance.now() - t);
  if (current.status !== 200) return;
  const next = current.body.defaultRule?.variant === 'on' ? 'off' : 'on';
  t = performance.now();
  const put = await admin.request('PUT', flagPath(flag), { ...loadFlagConfig(next), version: current.body.version });
  record(put.status, performance.now() - t);
}

/**
 * Streams held open while admin writes change load-flag-00; a change's propagation is from the
 * write's start to the first snapshot event on each stream after it (writes are 1/rate apart,
 * far more than a change takes), and a stream with no event before the next write missed it.
 */
async function fanOutScenario(name: string, s: FanOutScenario, t: LoadTarget) {
  const sdkKey = need(t.sdkKey, 'sdk-key');
  const admin = new AdminClient(need(t.apiUrl, 'api-url'), need(t.adminToken, 'admin-token'));
  const received: number[][] = [];
  const subs = [];
  let openFailed = 0;
  // In batches of 50: a thousand simultaneous connects is a herd no real fleet sends at once.
  for (let i = 0; i < s.vus; i += 50) {
    const batch = Array.from({ length: Math.min(50, s.vus - i) }, () => {
      const times: number[] = [];
      received.push(times);
      return subscribeSnapshots(`${t.evaluatorUrl}/v1/stream`, sdkKey, () => times.push(performance.now()));
    });
    subs.push(...batch);
    for (const r of await Promise.allSettled(batch.map((b) => b.opened))) if (r.status === 'rejected') openFailed++;
  }
  log(`${s.vus - openFailed} of ${s.vus} streams open; writing ${s.writesPerSecond}/s for ${s.duration}`);
  await new Promise((r) => setTimeout(r, 500));
  const writes: number[] = [];
  const writeStatus: Record<string, number> = {};
  const seconds = durationSeconds(s.duration);
  const count = Math.floor(seconds * s.writesPerSecond);
  for (let k = 0; k < count; k++) {
    const due = writes.length === 0 ? performance.now() : writes[0]! + (k * 1000) / s.writesPerSecond;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    writes.push(performance.now());
    let status = 0;
    await adminWrite(admin, 0, (st) => (status = st)).catch(() => {});
    writeStatus[status] = (writeStatus[status] ?? 0) + 1;
  }
  await new Promise((r) => setTimeout(r, 2_000));
  for (const sub of subs) sub.close();
  const propagation: number[] = [];
  let missed = 0;
  for (let k = 0; k < writes.length; k++) {
    const from = writes[k]!;
    const to = writes[k + 1] ?? from + 2_000;
    for (const times of received) {
      const first = times.find((x) => x >= from && x < to);
      if (first === undefined) missed++;
      else propagation.push(first - from);
    }
  }
  const sorted = Float32Array.from(propagation).sort();
  const metrics = {
    sse_open_failed: openFailed,
    sse_missed_events: missed,
    sse_propagation: distribution(sorted),
    changes: writes.length,
    write_status: writeStatus,
  };
  const measured = {
    sse_open_failed: openFailed,
    sse_missed_events: missed,
    sse_propagation: metrics.sse_propagation,
  };
  const thresholds = checkThresholds({ ...s.thresholds, ...s.runnerThresholds }, measured, (m) =>
    m === 'sse_propagation' ? sorted : undefined,
  );
  return { load: name, metrics, thresholds };
}

function metricValues(summary: ReturnType<typeof summarise>) {
  return {
    http_req_duration: summary.http_req_duration,
    admitted_duration: summary.admitted_duration,
    http_req_failed: summary.http_req_failed,
    errors_5xx: summary.errors_5xx,
    shed_with_retry_after: summary.shed_with_retry_after,
    shed_without_retry_after: summary.shed_without_retry_after,
    dropped_iterations: summary.dropped_iterations,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

async function prepare(): Promise<number> {
  const apiUrl = need(values['api-url'], 'api-url').replace(/\/+$/, '');
  const adminToken = need(values['admin-token'], 'admin-token');
  const sdkKey = await setUpLoadProject(new AdminClient(apiUrl, adminToken));
  log(`project ${LOAD_PROJECT}, environment ${LOAD_ENVIRONMENT} ready; k6 options:`);
  console.log(
    `-e EVALUATOR_URL=http://127.0.0.1:4100 -e SDK_KEY=${sdkKey} -e API_URL=${apiUrl} -e ADMIN_TOKEN=${adminToken}`,
  );
  return 0;
}

async function main(): Promise<number> {
  const name = positionals[0];
  if (name === 'prepare') return prepare();
  if (name === undefined || !(name in scenarios)) usage(name === undefined ? 'which scenario?' : `no scenario ${name}`);
  const scenario = withDuration(scenarios[name as ScenarioName] as ArrivalScenario | FanOutScenario);
  const t = await target();
  try {
    log(`${name}: ${scenario.description}`);
    const out =
      scenario.executor === 'constant-vus'
        ? await fanOutScenario(name, scenario, t)
        : scenario.target === 'admin'
          ? await adminScenario(name, scenario, t)
          : await ofrepScenario(name, scenario, t);
    for (const th of out.thresholds)
      log(`${th.ok ? 'ok  ' : 'FAIL'} ${th.metric} ${th.expression} (${round(th.value)})`);
    console.log(JSON.stringify(out));
    return out.thresholds.every((th) => th.ok) ? 0 : 1;
  } finally {
    await t.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(String((error as Error)?.stack ?? error));
    process.exit(2);
  },
);
