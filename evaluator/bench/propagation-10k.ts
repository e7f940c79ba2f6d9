/**
 * The propagation benchmark's design-scale scenario (issue 13, docs/performance.md
 * "Propagation at 10,000 flags"): one environment of FLAGS_10K flags (one rule and a 3-way split
 * each) imported through the admin API into the running stack, SUBSCRIBERS SSE streams on it, a
 * request load of single-flag OFREP evaluations on every evaluator (ofrep-probe.ts), and
 * CHANGES_10K one-flag changes at one per second. Measures, per change, PUT 2xx -> every
 * subscriber has the new version (so every evaluator serves it); the longest OFREP answer while
 * the changes flow (the stall a change causes), against the longest in as long a window of the
 * same load just before, with no change (what the shared machine alone costs); and Redis's output bytes per change and
 * evaluator (INFO total_net_output_bytes over the changes, divided by changes x evaluators: an
 * upper bound, as it counts every client of the bench's private Redis).
 */
import type { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { AdminClient } from '../../scripts/stack/admin-client.ts';
import type { LocalStack } from '../../scripts/stack/local-stack.ts';
import { Arrivals, percentile, round } from './propagation-loads.ts';

export interface BigEnvironmentOptions {
  stack: LocalStack;
  /** The stack's Redis key prefix. */
  prefix: string;
  admin: AdminClient;
  flags: number;
  changes: number;
  subscribers: number;
  /** Concurrent OFREP request loops per evaluator, and the requests per second each evaluator gets. */
  probeConcurrency: number;
  probeRate: number;
  forkLoad(script: string, env: Record<string, string>, arrivals: Arrivals, source: number): ReturnType<typeof fork>;
  stopLoad(child: ReturnType<typeof fork>): void;
  log: (message: string) => void;
}

export interface BigEnvironmentResult {
  flags_10k: number;
  p50_ms_10k: number;
  p99_ms_10k: number;
  changes_10k: number;
  evaluator_max_stall_ms_10k: number;
  /** PUT 2xx -> the delta in Redis (its publishedAt): the publisher's cost per change at this size. */
  publish_p50_ms_10k: number;
  publish_p99_ms_10k: number;
  evaluator_p99_ms_10k: number;
  /** The same OFREP load for as long with no change: what the machine alone costs the longest answer. */
  evaluator_max_ms_10k_no_changes: number;
  evaluator_p99_ms_10k_no_changes: number;
  bytes_per_change_per_evaluator_10k: number;
}

const PROJECT = 'big';
const ENV = 'prod';
const CHANGED = 'big-00000';
const PROBED = 'big-00001';
const now = () => performance.timeOrigin + performance.now();

export async function measureBigEnvironment(o: BigEnvironmentOptions): Promise<BigEnvironmentResult> {
  const { admin, stack } = o;
  const log = (m: string) => o.log(m);
  const environmentId = `${PROJECT}.${ENV}`;
  await admin.ok('POST', '/projects', { key: PROJECT, name: PROJECT });
  await admin.ok('POST', `/projects/${PROJECT}/environments`, { key: ENV, name: ENV });
  const started = Date.now();
  const imported = await admin.request('POST', `/projects/${PROJECT}/environments/${ENV}/import`, {
    format: 'flagship/v1',
    environment: environmentId,
    flags: bigFlags(o.flags),
    segments: {},
  });
  if (imported.status !== 200)
    throw new Error(`import of ${o.flags} flags: HTTP ${imported.status} ${JSON.stringify(imported.body)}`);
  const { token: sdkKey } = await admin.ok<{ token: string }>('POST', '/api-keys', {
    name: `${environmentId} sdk`,
    owner: 'propagation bench',
    role: 'sdk',
    environments: [environmentId],
  });
  const last = `big-${String(o.flags - 1).padStart(5, '0')}`;
  for (const url of stack.evaluatorUrls) await servedEventually(url, sdkKey, last, 120_000);
  log(`${o.flags} flags imported and served by every evaluator in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const sse = new Arrivals(1);
  const sseLoad = o.forkLoad(
    'sse-load.ts',
    { EVALUATOR_URLS: stack.evaluatorUrls.join(','), SDK_KEY: sdkKey, SUBSCRIBERS: String(o.subscribers) },
    sse,
    0,
  );
  const probe = startProbe(o, sdkKey);
  try {
    await sse.ready;
    await probe.ready;
    let version = await sse.firstVersion();
    let configVersion = (
      await admin.ok<{ version: number }>('GET', `/projects/${PROJECT}/environments/${ENV}/flags/${CHANGED}`)
    ).version;
    log(
      `${o.subscribers} subscribers at version ${version}, OFREP load on; ${o.changes} s without changes (the baseline)`,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    probe.send({ type: 'reset' });
    await new Promise((r) => setTimeout(r, o.changes * 1_000));
    const quiet = await probe.report();
    log(`then ${o.changes} changes at 1 per second`);
    probe.send({ type: 'reset' });
    const bytesBefore = await redisOutputBytes(stack.redisUrl);
    const latencies: number[] = [];
    const publishDelays: number[] = [];
    const changedAt: number[] = [];
    const { Redis } = await import('ioredis');
    const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    let variant: 'on' | 'off' = 'off';
    for (let i = 0; i < o.changes; i++) {
      const tick = Date.now();
      variant = variant === 'on' ? 'off' : 'on';
      const target = version + 1;
      const arrived = sse.waitFor(target, 5_000, `10k change ${i + 1}`);
      const written = await admin.putConfig(PROJECT, ENV, CHANGED, configVersion, {
        enabled: true,
        defaultRule: { variant },
      });
      const ok2xx = now();
      changedAt.push(ok2xx);
      configVersion = written.version;
      const { at } = await arrived;
      latencies.push(Math.max(0, at - ok2xx));
      const [newest] = await redis.zrange(`${o.prefix}deltas:${environmentId}`, -1, -1);
      const publishedAt =
        newest === undefined ? undefined : (JSON.parse(newest) as { publishedAt?: number }).publishedAt;
      if (publishedAt !== undefined) publishDelays.push(publishedAt - ok2xx);
      version = Math.max(target, sse.latest());
      await new Promise((r) => setTimeout(r, Math.max(0, tick + 1_000 - Date.now())));
    }
    const bytes = (await redisOutputBytes(stack.redisUrl)) - bytesBefore;
    redis.disconnect();
    const published = [...publishDelays].sort((a, b) => a - b);
    const report = await probe.report();
    const sorted = [...latencies].sort((a, b) => a - b);
    log(
      `10k: write -> ${o.subscribers} subscribers ms: p50 ${round(percentile(sorted, 50))} p99 ${round(percentile(sorted, 99))} max ${round(sorted.at(-1)!)} (target p99 < 100); ` +
        `OFREP under changes: ${report.count} answers, p99 ${round(report.p99)} p99.9 ${round(report.p999)} max ${round(report.max)} ms (target max < 25), ${report.shed} shed, ${report.errors} errors; ` +
        `without changes: p99 ${round(quiet.p99)} p99.9 ${round(quiet.p999)} max ${round(quiet.max)} ms; ` +
        `Redis out ${bytes} bytes over ${o.changes} changes; 2xx -> delta in Redis p50 ${round(percentile(published, 50))} p99 ${round(percentile(published, 99))} ms`,
    );
    // Where the slowest answers fell: ms after the last change's 2xx (a stall a change causes
    // falls within its first ~100 ms), per evaluator.
    const placed = report.slowest.map((a) => {
      const before = changedAt.filter((t) => t <= a.at + a.ms).at(-1);
      const after = before === undefined ? '-' : `+${Math.round(a.at - before)}`;
      return `${round(a.ms)} ms (evaluator ${a.evaluator}, ${after} ms after a change)`;
    });
    log(`10k: slowest answers during the changes: ${placed.join(', ')}`);
    if (report.errors > 0) throw new Error(`the OFREP load saw ${report.errors} errors during the changes`);
    return {
      flags_10k: o.flags,
      p50_ms_10k: round(percentile(sorted, 50)),
      p99_ms_10k: round(percentile(sorted, 99)),
      changes_10k: sorted.length,
      evaluator_max_stall_ms_10k: round(report.max),
      publish_p50_ms_10k: round(percentile(published, 50)),
      publish_p99_ms_10k: round(percentile(published, 99)),
      evaluator_p99_ms_10k: round(report.p99),
      evaluator_max_ms_10k_no_changes: round(quiet.max),
      evaluator_p99_ms_10k_no_changes: round(quiet.p99),
      bytes_per_change_per_evaluator_10k: Math.round(bytes / (o.changes * stack.evaluatorUrls.length)),
    };
  } finally {
    o.stopLoad(sseLoad);
    probe.stop();
  }
}

/** FLAGS_10K flags `big-00000`..: string flags, one rule (country NL) and a 3-way split by default. */
function bigFlags(n: number): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    flags[`big-${String(i).padStart(5, '0')}`] = {
      type: 'string',
      variants: { on: 'treatment', off: 'control', other: 'other' },
      config: {
        enabled: true,
        offVariant: 'off',
        prerequisites: [],
        targets: [],
        rules: [{ conditions: [{ attribute: 'country', op: 'in', values: ['NL', 'BE'] }], serve: { variant: 'on' } }],
        defaultRule: {
          split: [
            { variant: 'on', weight: 33_334 },
            { variant: 'off', weight: 33_333 },
            { variant: 'other', weight: 33_333 },
          ],
        },
      },
    };
  }
  return flags;
}

async function servedEventually(url: string, sdkKey: string, flag: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${url}/ofrep/v1/evaluate/flags/${flag}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: '{"context":{"targetingKey":"u"}}',
    }).catch(() => undefined);
    if (r?.status === 200) return;
    await r?.body?.cancel();
    if (Date.now() > deadline)
      throw new Error(`${url} does not serve ${flag} after ${timeoutMs} ms (HTTP ${r?.status})`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function redisOutputBytes(url: string): Promise<number> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await r.info('stats');
    return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1] ?? NaN);
  } finally {
    r.disconnect();
  }
}

interface ProbeReport {
  slowest: Array<{ at: number; evaluator: number; ms: number }>;
  max: number;
  p99: number;
  p999: number;
  count: number;
  shed: number;
  errors: number;
}

function startProbe(o: BigEnvironmentOptions, sdkKey: string) {
  const arrivals = new Arrivals(1);
  const child = o.forkLoad(
    'ofrep-probe.ts',
    {
      EVALUATOR_URLS: o.stack.evaluatorUrls.join(','),
      SDK_KEY: sdkKey,
      FLAG: PROBED,
      CONCURRENCY: String(o.probeConcurrency),
      RATE: String(o.probeRate),
    },
    arrivals,
    0,
  );
  let pending: ((r: ProbeReport) => void) | undefined;
  child.on('message', (m: { type: string } & ProbeReport) => {
    if (m.type === 'report') pending?.(m);
  });
  return {
    ready: arrivals.ready,
    send: (m: { type: string }) => child.send(m),
    report: () =>
      new Promise<ProbeReport>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('the OFREP probe did not report')), 10_000);
        pending = (r) => {
          clearTimeout(t);
          resolve(r);
        };
        child.send({ type: 'report' });
      }),
    stop: () => o.stopLoad(child),
  };
}
