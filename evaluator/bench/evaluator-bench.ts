/**
 * npm run bench:evaluator — HTTP throughput and latency of the evaluator server's OFREP hot path,
 * against a plain node:http baseline measured the same way in the same run.
 *
 * Processes (so the load generator never shares the server's event loop):
 * - this orchestrator: publishes a 100-flag mixed snapshot to Redis under its own key prefix,
 *   starts the servers, runs the load, prints the results, cleans up;
 * - `serve-evaluator`: the real evaluator server (createEvaluatorServer), BENCH_WORKERS processes
 *   behind node:cluster (default 1);
 * - `serve-baseline`: node:http answering a fixed JSON body of the single response's size, same
 *   process count;
 * - `load`: autocannon, 50 connections, 1 s warm-up then BENCH_SECONDS (5) measured, 127.0.0.1 only;
 *   the scenarios alternate for BENCH_ROUNDS (3) rounds and each reports its median round.
 * Scenarios: single (one flag, POST /ofrep/v1/evaluate/flags/{key}), bulk100 (POST
 * /ofrep/v1/evaluate/flags over 100 flags), baseline. Contexts rotate over 16 users.
 * BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_WORKERS (1), BENCH_CONNECTIONS (50), BENCH_SCENARIOS
 * (single,bulk100,baseline) override the defaults; BENCH_CPU_PROF=<dir>
 * writes a CPU profile of each server process.
 * Last line: {"bench":"evaluator","metrics":{...},"baseline":{...},"ratio":{...}}.
 */
import cluster from 'node:cluster';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomKeys } from '../src/engine/test-support.ts';
import type { Snapshot } from '../src/model/flag.ts';
import { bigSegment, mixedFlags } from './mixed-flags.ts';

const SELF = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'single,bulk100,baseline').split(',');
const SDK_KEY = 'bench-sdk-key';
const ENV = 'bench';
const SINGLE_FLAG = 'mixed-075'; // a 3-way split: hashes the targetingKey on every request

/** The engine bench's 100-flag mix (mixed-flags.ts), 8 of the 16 contexts in the segment. */
function mixedSnapshot(version: number): Snapshot {
  const flags = mixedFlags();
  return {
    environment: ENV,
    version,
    flags: Object.fromEntries(flags.map((f) => [f.key, f])),
    segments: bigSegment(randomKeys(16, 7).slice(0, 8)),
  };
}

function contexts(): string[] {
  return randomKeys(16, 7).map((k, i) =>
    JSON.stringify({
      context: {
        targetingKey: k,
        country: ['NL', 'DE', 'US', 'FR'][i % 4],
        plan: ['free', 'pro', 'enterprise'][i % 3],
        age: 18 + i * 3,
        appVersion: `2.${i}.0`,
      },
    }),
  );
}

/** Server CPU time (user + system, µs) on request: a load-independent cost per request. */
function answerCpu(): void {
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpu: u.user + u.system });
    }
  });
}

function cpuOf(proc: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'cpu' in m) {
        proc.off('message', onMessage);
        resolve((m as { cpu: number }).cpu);
      }
    };
    proc.on('message', onMessage);
    proc.send('cpu');
  });
}

// ---------------------------------------------------------------- children: process count
/**
 * With BENCH_WORKERS > 1, the primary forks that many copies of itself (node:cluster shares the
 * port), reports ready once all of them are, and stops them when the bench lets go of it. The
 * evaluator and the baseline go through the same code, so they always run as the same count.
 * Returns true in that primary, which serves nothing itself.
 */
function forkedCluster(): boolean {
  if (WORKERS <= 1 || !cluster.isPrimary) return false;
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  let up = 0;
  cluster.on('message', (_w, m) => {
    if (m === 'ready' && ++up === WORKERS) process.send!('ready');
  });
  process.on('disconnect', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  });
  return true;
}

// ---------------------------------------------------------------- child: evaluator server
async function serveEvaluator(port: number, prefix: string, dataDir: string): Promise<void> {
  if (forkedCluster()) return;
  const { createEvaluatorServer, silentLogger } = await import('../src/server/index.ts');
  const server = createEvaluatorServer(
    {
      port,
      keyPrefix: prefix,
      dataDir: `${dataDir}/${process.pid}`,
      environments: [ENV],
      maxInFlight: 10_000,
    },
    { logger: silentLogger },
  );
  await server.start();
  answerCpu();
  process.send!('ready');
  process.on('disconnect', () => {
    void server.close().then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------- child: baseline server
function serveBaseline(port: number, bytes: number): void {
  if (forkedCluster()) return;
  const prefix = '{"key":"baseline","value":"';
  const body = `${prefix}${'x'.repeat(Math.max(0, bytes - prefix.length - 2))}"}`;
  const length = String(Buffer.byteLength(body));
  // A minimal POST handler: consume the request body, answer a fixed JSON body.
  createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, ['Content-Type', 'application/json', 'Content-Length', length]);
      res.end(body);
    });
  }).listen(port, '127.0.0.1', () => {
    answerCpu();
    process.send!('ready');
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------- child: load generator
interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
  cpuUsPerRequest?: number;
}
async function load(spec: {
  url: string;
  path: string;
  bodies: string[];
  headers: Record<string, string>;
  seconds: number;
}): Promise<void> {
  // autocannon ships no types; its options are checked by the runs below.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- `as string` keeps tsc from asking for the types autocannon does not ship
  const autocannon: any = (await import('autocannon' as string)).default;
  const run = (duration: number) =>
    new Promise<LoadResult>((resolve, reject) => {
      autocannon(
        {
          url: spec.url,
          connections: CONNECTIONS,
          duration,
          requests: spec.bodies.map((body) => ({ method: 'POST', path: spec.path, headers: spec.headers, body })),
        },
        (err: Error | null, r: any) => {
          if (err) {
            reject(err);
            return;
          }
          resolve({
            rps: r.requests.total / (r.duration || duration),
            p50: r.latency.p50,
            p99: r.latency.p99,
            non2xx: r.non2xx,
            errors: r.errors,
            total: r.requests.total,
          });
        },
      );
    });
  await run(1); // warm-up
  process.send!('measuring');
  process.send!(await run(spec.seconds));
}

// ---------------------------------------------------------------- orchestrator
function child(args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of each server process there (node --cpu-prof).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const proc = fork(SELF, args, {
    execArgv: ['--import', 'tsx', ...prof],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    proc.once('message', (m) => (m === 'ready' ? resolve(proc) : reject(new Error(String(m)))));
    proc.once('exit', (code) => reject(new Error(`child ${args[0]} exited with ${code}`)));
  });
}

/**
 * Runs one load (1 s warm-up, then SECONDS measured) in its own process; with `server` (a
 * single-process server), also the server's CPU µs per request over the measured part.
 */
function measured(server: ChildProcess | undefined, url: string, path: string, bodies: string[]): Promise<LoadResult> {
  const spec = {
    url,
    path,
    bodies,
    headers: { authorization: `Bearer ${SDK_KEY}`, 'content-type': 'application/json' },
    seconds: SECONDS,
  };
  const proc = fork(SELF, ['load', JSON.stringify(spec)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let cpuBefore: Promise<number> | undefined;
  return new Promise((resolve, reject) => {
    proc.on('message', (m) => {
      if (m === 'measuring') {
        if (server !== undefined && WORKERS === 1) cpuBefore = cpuOf(server);
        return;
      }
      const result = m as LoadResult;
      proc.disconnect();
      if (cpuBefore === undefined) {
        resolve(result);
        return;
      }
      void cpuBefore.then(async (before) => {
        result.cpuUsPerRequest = Math.round(((await cpuOf(server!)) - before) / result.total);
        resolve(result);
      });
    });
    proc.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load exited with ${code}`));
    });
  });
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
    }, 3000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (proc.connected) proc.disconnect();
    else proc.kill();
  });
}

async function main(): Promise<void> {
  const { Redis } = await import('ioredis');
  const { hashApiKey, redisKeys } = await import('../src/propagation/index.ts');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const keys = redisKeys(prefix);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const dataDir = await mkdtemp(join(tmpdir(), 'evaluator-bench-'));
  const procs: ChildProcess[] = [];
  try {
    const snapshot = mixedSnapshot(1);
    await redis
      .multi()
      .set(
        keys.snapshot(ENV),
        JSON.stringify({ snapshot, sdkKeyHashes: [hashApiKey(SDK_KEY)], publishedAt: Date.now() }),
      )
      .set(keys.version(ENV), '1')
      .sadd(keys.environments, ENV)
      .exec();

    const evalPort = 4170,
      basePort = 4171; // (4190 is on fetch's blocked-port list)
    const evaluator = await child(['serve-evaluator', String(evalPort), prefix, dataDir], { REDIS_URL: redisUrl });
    procs.push(evaluator);
    const url = `http://127.0.0.1:${evalPort}`;
    const bodies = contexts();
    const probe = await fetch(`${url}/ofrep/v1/evaluate/flags/${SINGLE_FLAG}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SDK_KEY}` },
      body: bodies[0],
    });
    const singleBytes = Buffer.byteLength(await probe.text());
    const bulkProbe = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SDK_KEY}` },
      body: bodies[0],
    });
    const bulkJson = (await bulkProbe.json()) as { flags: unknown[] };
    if (probe.status !== 200 || bulkJson.flags.length !== 100)
      throw new Error('the evaluator does not serve the bench snapshot');

    const baselineProc = await child(['serve-baseline', String(basePort), String(singleBytes)]);
    procs.push(baselineProc);
    const baseUrl = `http://127.0.0.1:${basePort}`;
    // The machine is shared: scenarios alternate round by round and each reports its median
    // round, so a neighbour's burst hits the evaluator and the baseline alike.
    const rounds: Record<'single' | 'bulk100' | 'baseline', LoadResult[]> = { single: [], bulk100: [], baseline: [] };
    for (let r = 0; r < ROUNDS; r++) {
      if (SCENARIOS.includes('baseline')) rounds.baseline.push(await measured(baselineProc, baseUrl, '/', bodies));
      if (SCENARIOS.includes('single'))
        rounds.single.push(await measured(evaluator, url, `/ofrep/v1/evaluate/flags/${SINGLE_FLAG}`, bodies));
      if (SCENARIOS.includes('bulk100'))
        rounds.bulk100.push(await measured(evaluator, url, '/ofrep/v1/evaluate/flags', bodies));
    }
    const median = (list: LoadResult[]): LoadResult => {
      if (list.length === 0) return { rps: NaN, p50: NaN, p99: NaN, non2xx: 0, errors: 0, total: 0 };
      return [...list].sort((a, b) => a.rps - b.rps)[Math.floor(list.length / 2)]!;
    };
    for (const [name, list] of Object.entries(rounds)) {
      if (list.length > 0)
        console.log(
          `${name.padEnd(9)} rounds: ${list.map((x) => `${Math.round(x.rps)} req/s (${x.cpuUsPerRequest ?? '?'} µs server CPU/req)`).join(', ')}`,
        );
    }
    const single = median(rounds.single),
      bulk = median(rounds.bulk100),
      baseline = median(rounds.baseline);
    for (const [name, r] of [
      ['single', single],
      ['bulk100', bulk],
      ['baseline', baseline],
    ] as const) {
      if (r.non2xx > 0 || r.errors > 0) console.log(`warning: ${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      console.log(
        `${name.padEnd(9)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  (${r.total} requests)`,
      );
    }
    console.log(
      `node ${process.version}, ${WORKERS} server process(es), ${CONNECTIONS} connections, median of ${ROUNDS} rounds of ${SECONDS} s after 1 s warm-up; single response ${singleBytes} B, bulk100 response ${Buffer.byteLength(JSON.stringify(bulkJson))} B`,
    );
    const round = (n: number, d = 0) => Number(n.toFixed(d));
    console.log(
      JSON.stringify({
        bench: 'evaluator',
        metrics: {
          single_rps: round(single.rps),
          single_p50_ms: single.p50,
          single_p99_ms: single.p99,
          bulk100_rps: round(bulk.rps),
          bulk100_evals_per_s: round(bulk.rps * 100),
          bulk100_p50_ms: bulk.p50,
          bulk100_p99_ms: bulk.p99,
        },
        baseline: { rps: round(baseline.rps), p50_ms: baseline.p50, p99_ms: baseline.p99 },
        ratio: { single_vs_baseline: round(single.rps / baseline.rps, 3) },
      }),
    );
  } finally {
    for (const p of procs) await stop(p);
    const found = await redis.keys(`${prefix}*`);
    if (found.length > 0) await redis.del(...found);
    redis.disconnect();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve-evaluator') await serveEvaluator(Number(args[0]), args[1]!, args[2]!);
else if (mode === 'serve-baseline') serveBaseline(Number(args[0]), Number(args[1]));
else if (mode === 'load') await load(JSON.parse(args[0]!));
else await main();
