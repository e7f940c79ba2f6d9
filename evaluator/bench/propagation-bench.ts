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
 * Env: CHANGES (default 200), SUBSCRIBERS (1000), EVALUATORS (4), REDIS_URL, BENCH_DATABASE
 * (`sqlite`, the default, like `npm start`; or `mysql`: a private database on the MariaDB at
 * 127.0.0.1:3306, dropped afterwards).
 * Last line: {"bench":"propagation","metrics":{"p50_ms","p99_ms","changes","subscribers"}}.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AdminClient } from '../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../scripts/stack/local-stack.ts';

const CHANGES = Number(process.env.CHANGES ?? 200);
const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 1000);
const EVALUATORS = Number(process.env.EVALUATORS ?? 4);
const DATABASE = process.env.BENCH_DATABASE ?? 'sqlite';
if (DATABASE !== 'sqlite' && DATABASE !== 'mysql')
  throw new Error(`BENCH_DATABASE must be sqlite or mysql, got ${DATABASE}`);
/** One change may take at most this long before the run is declared failed. */
const PER_CHANGE_TIMEOUT_MS = 5_000;
const now = () => performance.timeOrigin + performance.now();
const log = (m: string) => process.stderr.write(`propagation-bench: ${m}\n`);

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const dataDir = mkdtempSync(join(tmpdir(), 'fs-propagation-bench-'));
const prefix = `fs-bench-${randomBytes(4).toString('hex')}:`;
const adminToken = `fsk_bench_${randomBytes(16).toString('hex')}`;
let stack: LocalStack | undefined;
let load: ReturnType<typeof fork> | undefined;

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
  log(`starting a private stack: controller (${DATABASE}), workers, ${EVALUATORS} evaluators (prefix ${prefix})`);
  stack = await startLocalStack({
    databaseUrl,
    controllerPort: 0,
    evaluatorPorts: Array.from({ length: EVALUATORS }, () => 0),
    redisUrl: process.env.REDIS_URL,
    keyPrefix: prefix,
    dataDir,
    adminToken,
    supervisor: { echo: false },
    // Every subscriber uses the one SDK key: lift the per-key stream cap (1,000) for any EVALUATORS.
    env: {
      EVALUATOR_MAX_IN_FLIGHT: '4096',
      EVALUATOR_SSE_MAX_STREAMS_PER_KEY: String(Math.max(1000, SUBSCRIBERS)),
      EVALUATOR_SSE_MAX_STREAMS: String(Math.max(10_000, SUBSCRIBERS)),
    },
  });
  const admin = new AdminClient(stack.apiUrl, adminToken);
  const { environmentId, sdkKey } = await admin.setUpBooleanFlag('bench', 'prod', 'bench-flag');
  let configVersion = (await admin.ok<{ version: number }>('GET', '/projects/bench/environments/prod/flags/bench-flag'))
    .version;

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
  const completions = new Map<number, number>();
  const waiters = new Map<number, (at: number) => void>();
  let loadError: string | undefined;
  load = fork(fileURLToPath(new URL('./sse-load.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      EVALUATOR_URLS: stack.evaluatorUrls.join(','),
      SDK_KEY: sdkKey,
      SUBSCRIBERS: String(SUBSCRIBERS),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    load!.on('message', (m: { type: string; version?: number; at?: number; message?: string }) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'complete') {
        completions.set(m.version!, m.at!);
        for (const [v, w] of waiters)
          if (v <= m.version!) {
            waiters.delete(v);
            w(m.at!);
          }
      } else if (m.type === 'error') {
        loadError ??= m.message;
        reject(new Error(m.message));
      }
    });
    load!.on('exit', (code) => reject(new Error(`load process exited with ${code}`)));
  });
  await ready;
  // The version every subscriber has now: the stream's first event.
  const settle = Date.now() + 10_000;
  while (completions.size === 0 && Date.now() < settle) await new Promise((r) => setTimeout(r, 20));
  let version = Math.max(0, ...completions.keys());
  if (version === 0) throw new Error('the subscribers never received the initial snapshot');
  log(`all ${SUBSCRIBERS} subscribers at version ${version}; making ${CHANGES} changes`);

  const latencies: number[] = [];
  /** 2xx -> the publisher's Redis write, from the envelope's publishedAt (same clock). */
  const toPublish: number[] = [];
  const { Redis } = await import('ioredis');
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
  let variant = 'on';
  for (let i = 0; i < CHANGES; i++) {
    if (loadError) throw new Error(`load process: ${loadError}`);
    variant = variant === 'on' ? 'off' : 'on';
    const target = version + 1;
    const arrived = new Promise<number>((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `change ${i + 1}: version ${target} did not reach every subscriber within ${PER_CHANGE_TIMEOUT_MS} ms`,
            ),
          ),
        PER_CHANGE_TIMEOUT_MS,
      );
      waiters.set(target, (at) => {
        clearTimeout(t);
        resolve(at);
      });
      // Already there (a completion can overtake the PUT's response).
      const known = [...completions.keys()].find((v) => v >= target);
      if (known !== undefined) {
        waiters.delete(target);
        clearTimeout(t);
        resolve(completions.get(known)!);
      }
    });
    const written = await admin.putConfig('bench', 'prod', 'bench-flag', configVersion, {
      enabled: true,
      defaultRule: { variant },
    });
    const ok2xx = now();
    configVersion = written.version;
    const at = await arrived;
    latencies.push(Math.max(0, at - ok2xx));
    const envelope = JSON.parse((await redis.get(`${prefix}snapshot:${environmentId}`)) ?? '{}') as {
      publishedAt?: number;
    };
    if (envelope.publishedAt) toPublish.push(envelope.publishedAt - ok2xx);
    version = Math.max(target, ...[...completions.keys()]);
    // Outside the timing: every evaluator serves the changed value now.
    await Promise.all(
      stack.evaluatorUrls.map(async (url) => {
        const r = await fetch(`${url}/ofrep/v1/evaluate/flags/bench-flag`, {
          method: 'POST',
          headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
          body: '{"context":{"targetingKey":"u"}}',
        });
        const body = (await r.json()) as { value?: unknown };
        if (body.value !== (variant === 'on'))
          throw new Error(
            `change ${i + 1}: ${url} serves ${JSON.stringify(body)} after every subscriber had version ${target}`,
          );
      }),
    );
    completions.clear();
  }

  redis.disconnect();
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  const pub = [...toPublish].sort((a, b) => a - b);
  if (pub.length > 0)
    log(
      `of which 2xx -> snapshot in Redis: p50 ${round(percentile(pub, 50))} p99 ${round(percentile(pub, 99))} ms (the rest is evaluator fetch + swap + SSE fan-out + delivery)`,
    );
  const metrics = {
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    changes: latencies.length,
    subscribers: SUBSCRIBERS,
  };
  log(
    `latency ms: min ${round(sorted[0]!)} p50 ${metrics.p50_ms} p90 ${round(percentile(sorted, 90))} p99 ${metrics.p99_ms} max ${round(sorted.at(-1)!)} (target p99 < 100)`,
  );
  return metrics;
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
  load?.send({ type: 'stop' });
  load?.kill();
  const redisUrl = stack?.redisUrl;
  const privateRedis = stack?.privateRedis;
  await stack?.supervisor.stopAll();
  if (redisUrl && !privateRedis) await cleanupRedis(redisUrl).catch(() => {});
  await privateRedis?.stop();
  await dropDatabase?.().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
if (result) console.log(JSON.stringify({ bench: 'propagation', metrics: result }));
process.exit(exitCode);
