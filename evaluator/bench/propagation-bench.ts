/**
 * `npm run bench:propagation`: how long a flag change takes to reach the whole fleet.
 *
 * A private stack (scripts/stack/local-stack.ts: controller with its own SQLite file, workers,
 * 4 evaluator processes) on the shared Redis under a unique key prefix (or a private
 * redis-server when nothing answers there), 1,000 SSE subscribers spread over the evaluators in
 * a separate load process, then CHANGES sequential flag changes through the admin API. For each
 * change: the time from the PUT's 2xx to the moment the last of the 1,000 subscribers received
 * the new snapshot version. An evaluator sends that event when it swaps the snapshot in, so
 * every evaluator is serving it by then; each change is also checked (outside the timing) by
 * evaluating the flag over OFREP on every evaluator.
 *
 * Then the same for in-process SDKs: the subscribers close, SDK_CLIENTS FlagshipClients start in
 * SDK_PROCESSES processes (evaluator/sdk/bench/sdk-load.ts), and for each of SDK_CHANGES changes the
 * time runs from the 2xx to the moment the last client swapped the new snapshot in (its stream's
 * event, then its own snapshot fetch and compile), checked by the value that client evaluates.
 *
 * Then design scale (propagation-10k.ts): an environment of FLAGS_10K flags in the same stack,
 * SUBSCRIBERS streams on it, OFREP load on every evaluator, CHANGES_10K one-flag changes at one
 * per second: write -> every subscriber, the longest OFREP answer meanwhile, and Redis bytes per
 * change and evaluator.
 *
 * Env: CHANGES (default 200), SUBSCRIBERS (1000), EVALUATORS (4), SDK_CLIENTS (1000),
 * SDK_PROCESSES (4), SDK_CHANGES (100), FLAGS_10K (10000; 0 skips the scenario), CHANGES_10K
 * (30), PROBE_CONCURRENCY (2 request loops per evaluator), PROBE_RATE (250 single-flag
 * evaluations a second per evaluator), REDIS_URL (default: a private
 * redis-server, so Redis's byte counters count only this stack), BENCH_DATABASE
 * (`sqlite`, the default, like `npm start`; or `mysql`: a private database on the MariaDB at
 * 127.0.0.1:3306, dropped afterwards).
 * Last line: {"bench":"propagation","metrics":{"p50_ms","p99_ms","changes","subscribers",
 * "sdk_p50_ms","sdk_p99_ms","sdk_changes","sdk_clients","flags_10k","p50_ms_10k","p99_ms_10k",
 * "changes_10k","evaluator_max_stall_ms_10k","evaluator_p99_ms_10k",
 * "bytes_per_change_per_evaluator_10k"}}.
 */
import type { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AdminClient } from '../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../scripts/stack/local-stack.ts';
import { hasRedisServer, type PrivateRedis, startPrivateRedis } from '../../scripts/stack/redis-server.ts';
import { measureBigEnvironment } from './propagation-10k.ts';
import { Arrivals, forkLoad as forkLoadIn, percentile, round, stopLoad } from './propagation-loads.ts';

const CHANGES = Number(process.env.CHANGES ?? 200);
const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 1000);
const EVALUATORS = Number(process.env.EVALUATORS ?? 4);
const SDK_CLIENTS = Number(process.env.SDK_CLIENTS ?? 1000);
const SDK_PROCESSES = Number(process.env.SDK_PROCESSES ?? 4);
const SDK_CHANGES = Number(process.env.SDK_CHANGES ?? 100);
const FLAGS_10K = Number(process.env.FLAGS_10K ?? 10_000);
const CHANGES_10K = Number(process.env.CHANGES_10K ?? 30);
const PROBE_CONCURRENCY = Number(process.env.PROBE_CONCURRENCY ?? 2);
const PROBE_RATE = Number(process.env.PROBE_RATE ?? 250);
const DATABASE = process.env.BENCH_DATABASE ?? 'sqlite';
if (DATABASE !== 'sqlite' && DATABASE !== 'mysql')
  throw new Error(`BENCH_DATABASE must be sqlite or mysql, got ${DATABASE}`);
/** One change may take at most this long before the run is declared failed. */
const PER_CHANGE_TIMEOUT_MS = 5_000;
const now = () => performance.timeOrigin + performance.now();
const log = (m: string) => process.stderr.write(`propagation-bench: ${m}\n`);

const dataDir = mkdtempSync(join(tmpdir(), 'fs-propagation-bench-'));
const prefix = `fs-bench-${randomBytes(4).toString('hex')}:`;
const adminToken = `fsk_bench_${randomBytes(16).toString('hex')}`;
let stack: LocalStack | undefined;
let benchRedis: PrivateRedis | undefined;
const loads: ReturnType<typeof fork>[] = [];
const forkLoad = (script: string, env: Record<string, string>, arrivals: Arrivals, source: number) =>
  forkLoadIn(import.meta.url, script, env, arrivals, source);

async function cleanupRedis(url: string) {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    r.disconnect();
  }
}

let dropDatabase: (() => Promise<void>) | undefined;

async function privateMysqlDatabase(): Promise<string> {
  const { createConnection } = await import('mysql2/promise');
  const name = `fs_bench_${randomBytes(4).toString('hex')}`;
  const c = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await c.end();
  dropDatabase = async () => {
    const d = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await d.end();
  };
  return `mysql://root@127.0.0.1:3306/${name}`;
}

async function main() {
  const databaseUrl = DATABASE === 'mysql' ? await privateMysqlDatabase() : undefined;
  if (process.env.REDIS_URL === undefined && hasRedisServer()) benchRedis = await startPrivateRedis();
  log(`starting a private stack: controller (${DATABASE}), workers, ${EVALUATORS} evaluators (prefix ${prefix})`);
  stack = await startLocalStack({
    databaseUrl,
    controllerPort: 0,
    evaluatorPorts: Array.from({ length: EVALUATORS }, () => 0),
    redisUrl: process.env.REDIS_URL ?? benchRedis?.url,
    keyPrefix: prefix,
    dataDir,
    adminToken,
    supervisor: { echo: false },
    // Every subscriber and SDK client uses the one SDK key: lift the per-key stream cap (1,000).
    env: {
      EVALUATOR_MAX_IN_FLIGHT: '4096',
      EVALUATOR_SSE_MAX_STREAMS_PER_KEY: String(Math.max(1000, SUBSCRIBERS + SDK_CLIENTS)),
      EVALUATOR_SSE_MAX_STREAMS: String(Math.max(10_000, SUBSCRIBERS + SDK_CLIENTS)),
    },
  });
  const admin = new AdminClient(stack.apiUrl, adminToken);
  const { environmentId, sdkKey } = await admin.setUpBooleanFlag('bench', 'prod', 'bench-flag');
  const configVersion = (
    await admin.ok<{ version: number }>('GET', '/projects/bench/environments/prod/flags/bench-flag')
  ).version;

  // Every evaluator serves the environment before the subscribers connect.
  const deadline = Date.now() + 30_000;
  for (const url of stack.evaluatorUrls) {
    for (;;) {
      const r = await fetch(`${url}/ofrep/v1/evaluate/flags/bench-flag`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
        body: '{"context":{"targetingKey":"u"}}',
      });
      if (r.status === 200) break;
      if (Date.now() > deadline)
        throw new Error(`${url} does not serve ${environmentId}: HTTP ${r.status} ${await r.text()}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  log(`opening ${SUBSCRIBERS} SSE subscribers in a separate load process`);
  const sse = new Arrivals(1);
  loads.push(
    forkLoad(
      'sse-load.ts',
      { EVALUATOR_URLS: stack.evaluatorUrls.join(','), SDK_KEY: sdkKey, SUBSCRIBERS: String(SUBSCRIBERS) },
      sse,
      0,
    ),
  );
  await sse.ready;
  const { Redis } = await import('ioredis');
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
  let state: ChangeState = { version: await sse.firstVersion(), configVersion, variant: 'on' };
  log(`all ${SUBSCRIBERS} subscribers at version ${state.version}; making ${CHANGES} changes`);
  const toPublish: number[] = [];
  const sseRun = await measureChanges(CHANGES, state, sse, async () => {
    /** 2xx -> the publisher's Redis write, from the newest delta's (or the envelope's) publishedAt (same clock). */
    const [newest] = await redis.zrange(`${prefix}deltas:${environmentId}`, -1, -1);
    const envelope = JSON.parse(newest ?? (await redis.get(`${prefix}snapshot:${environmentId}`)) ?? '{}') as {
      publishedAt?: number;
    };
    return envelope.publishedAt;
  });
  state = sseRun.state;
  // Outside the timing, after each change: every evaluator serves the changed value (checked in measureChanges).
  redis.disconnect();
  for (const l of loads.splice(0)) stopLoad(l);
  toPublish.push(...sseRun.publishDelays);

  // The in-process SDKs: SDK_CLIENTS clients over SDK_PROCESSES processes, each following one
  // evaluator's stream and fetching the snapshot when it changes (docs/sdk.md).
  log(`starting ${SDK_CLIENTS} SDK clients in ${SDK_PROCESSES} processes`);
  const sdk = new Arrivals(SDK_PROCESSES);
  const per = Math.ceil(SDK_CLIENTS / SDK_PROCESSES);
  for (let p = 0; p < SDK_PROCESSES; p++) {
    const clients = Math.min(per, SDK_CLIENTS - p * per);
    loads.push(
      forkLoad(
        '../sdk/bench/sdk-load.ts',
        {
          EVALUATOR_URLS: stack.evaluatorUrls.join(','),
          SDK_KEY: sdkKey,
          CLIENTS: String(clients),
          OFFSET: String(p * per),
        },
        sdk,
        p,
      ),
    );
  }
  await sdk.ready;
  state = { ...state, version: await sdk.firstVersion() };
  log(`all ${SDK_CLIENTS} SDK clients at version ${state.version}; making ${SDK_CHANGES} changes`);
  const sdkRun = await measureChanges(SDK_CHANGES, state, sdk);

  for (const l of loads.splice(0)) stopLoad(l);

  const big =
    FLAGS_10K > 0
      ? await measureBigEnvironment({
          stack,
          prefix,
          admin,
          flags: FLAGS_10K,
          changes: CHANGES_10K,
          subscribers: SUBSCRIBERS,
          probeConcurrency: PROBE_CONCURRENCY,
          probeRate: PROBE_RATE,
          forkLoad: (script, env, arrivals, source) => {
            const child = forkLoad(script, env, arrivals, source);
            loads.push(child);
            return child;
          },
          stopLoad,
          log,
        })
      : {};

  const sorted = [...sseRun.latencies].sort((a, b) => a - b);
  const sdkSorted = [...sdkRun.latencies].sort((a, b) => a - b);
  const pub = [...toPublish].sort((a, b) => a - b);
  if (pub.length > 0)
    log(
      `of which 2xx -> snapshot in Redis: p50 ${round(percentile(pub, 50))} p99 ${round(percentile(pub, 99))} ms (the rest is evaluator fetch + swap + SSE fan-out + delivery)`,
    );
  const metrics = {
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    changes: sorted.length,
    subscribers: SUBSCRIBERS,
    sdk_p50_ms: round(percentile(sdkSorted, 50)),
    sdk_p99_ms: round(percentile(sdkSorted, 99)),
    sdk_changes: sdkSorted.length,
    sdk_clients: SDK_CLIENTS,
    publish_p50_ms: pub.length > 0 ? round(percentile(pub, 50)) : undefined,
    ...big,
  };
  log(
    `SSE subscribers, latency ms: min ${round(sorted[0]!)} p50 ${metrics.p50_ms} p90 ${round(percentile(sorted, 90))} p99 ${metrics.p99_ms} max ${round(sorted.at(-1)!)} (target p99 < 100)`,
  );
  log(
    `SDK clients, latency ms: min ${round(sdkSorted[0]!)} p50 ${metrics.sdk_p50_ms} p90 ${round(percentile(sdkSorted, 90))} p99 ${metrics.sdk_p99_ms} max ${round(sdkSorted.at(-1)!)} (target p99 < 100)`,
  );
  return metrics;

  interface ChangeState {
    version: number;
    configVersion: number;
    variant: 'on' | 'off';
  }

  /**
   * `n` sequential changes of the bench flag; each one's latency is from the PUT's 2xx to the
   * moment `arrivals` saw its version everywhere. After each (outside the timing), every
   * evaluator must serve the new value over OFREP, and the SDKs' reported value must be it.
   */
  async function measureChanges(
    n: number,
    from: ChangeState,
    arrivals: Arrivals,
    publishedAt?: () => Promise<number | undefined>,
  ): Promise<{ latencies: number[]; publishDelays: number[]; state: ChangeState }> {
    const latencies: number[] = [];
    const publishDelays: number[] = [];
    let { version, configVersion, variant } = from;
    for (let i = 0; i < n; i++) {
      variant = variant === 'on' ? 'off' : 'on';
      const target = version + 1;
      const arrived = arrivals.waitFor(target, PER_CHANGE_TIMEOUT_MS, `change ${i + 1}`);
      const written = await admin.putConfig('bench', 'prod', 'bench-flag', configVersion, {
        enabled: true,
        defaultRule: { variant },
      });
      const ok2xx = now();
      configVersion = written.version;
      const { at, value } = await arrived;
      latencies.push(Math.max(0, at - ok2xx));
      const published = await publishedAt?.();
      if (published !== undefined) publishDelays.push(published - ok2xx);
      if (value !== undefined && value !== (variant === 'on'))
        throw new Error(`change ${i + 1}: an SDK evaluated ${String(value)} after swapping version ${target} in`);
      version = Math.max(target, arrivals.latest());
      await Promise.all(
        stack!.evaluatorUrls.map(async (url) => {
          // An evaluator sheds (429) while its event loop lags, as a loaded machine makes it: ask again.
          let r: Response | undefined;
          for (let attempt = 0; attempt < 100 && (r === undefined || r.status === 429); attempt++) {
            if (r !== undefined) await new Promise((res) => setTimeout(res, 50));
            r = await fetch(`${url}/ofrep/v1/evaluate/flags/bench-flag`, {
              method: 'POST',
              headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
              body: '{"context":{"targetingKey":"u"}}',
            });
          }
          const body = (await r!.json()) as { value?: unknown };
          if (body.value !== (variant === 'on'))
            throw new Error(`change ${i + 1}: ${url} serves ${JSON.stringify(body)} after version ${target} arrived`);
        }),
      );
    }
    return { latencies, publishDelays, state: { version, configVersion, variant } };
  }
}

let exitCode = 0;
let result: unknown;
try {
  result = await main();
} catch (error) {
  log(`FAILED: ${(error as Error).stack ?? String(error)}`);
  if (stack)
    for (const c of stack.supervisor.children) log(`${c.name} last lines:\n  ${c.lastLines.slice(-8).join('\n  ')}`);
  exitCode = 1;
} finally {
  for (const l of loads) stopLoad(l);
  const redisUrl = stack?.redisUrl;
  const privateRedis = stack?.privateRedis;
  await stack?.supervisor.stopAll();
  if (redisUrl && !privateRedis && !benchRedis) await cleanupRedis(redisUrl).catch(() => {});
  await privateRedis?.stop();
  await benchRedis?.stop();
  await dropDatabase?.().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
if (result) console.log(JSON.stringify({ bench: 'propagation', metrics: result }));
process.exit(exitCode);
