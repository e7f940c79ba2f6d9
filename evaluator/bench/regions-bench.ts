/**
 * `npm run bench:regions`: a home region and a far one, the link between them cut for 20 s
 * (docs/regions.md).
 *
 * Home: a private primary `redis-server` and a private stack on it (scripts/stack/local-stack.ts:
 * controller with its own SQLite file, workers, one evaluator). Far: a `replicaof` replica of the
 * primary reached through a TCP link adding LINK_DELAY_MS (40) each way (this kernel has no
 * `tc netem`), with `repl-timeout` 5 s and a 64 MB backlog, and one evaluator reading that replica
 * (REDIS_READ_URL) whose served-version reports reach the primary over a second such link
 * (REDIS_URL). Both evaluators answer a steady OFREP loop (LOAD_RPS each) for the whole run.
 *
 * 1. CHANGES (50) flag changes through the admin API, one after the other: each one's time from the
 *    PUT's 2xx to the far evaluator answering the new value (polled every 5 ms) -> p99.
 * 2. Both links cut (connections reset, new ones refused) for PARTITION_S (20) while a change is
 *    made at home every second; the far load counts non-200 answers and answers whose
 *    snapshotVersion is lower than one already seen from the far region; the far `/readyz` is
 *    polled for `replication.stale` (the time to detect the partition).
 * 3. Links healed: the time until the far evaluator serves the home's latest version.
 *
 * Env: CHANGES (50), PARTITION_S (20), LINK_DELAY_MS (40), LOAD_RPS (50 per evaluator).
 * Last line: {"bench":"regions","metrics":{"regions":2,"cross_region_p99_ms","errors_during_partition",
 * "stale_after_newer","partition_detected_s","converged_after_heal_s"}}.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { AdminClient } from '../../scripts/stack/admin-client.ts';
import { type LocalStack, REPO_ROOT, startLocalStack } from '../../scripts/stack/local-stack.ts';
import { freePort, type PrivateRedis, startPrivateRedis } from '../../scripts/stack/redis-server.ts';
import { waitForHttp } from '../../scripts/stack/supervisor.ts';
import {
  type RegionLink,
  type ReplicaRedis,
  startRegionLink,
  startReplicaRedis,
} from '../src/server/regions/test-support/region-link.ts';

const CHANGES = Number(process.env.CHANGES ?? 50);
const PARTITION_S = Number(process.env.PARTITION_S ?? 20);
const LINK_DELAY_MS = Number(process.env.LINK_DELAY_MS ?? 40);
const LOAD_RPS = Number(process.env.LOAD_RPS ?? 50);
/** Each bounded wait of the run fails it after this long. */
const PER_CHANGE_TIMEOUT_MS = 5_000;
const CONVERGE_TIMEOUT_MS = 60_000;
const DETECT_TIMEOUT_MS = PARTITION_S * 1000;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`regions-bench: ${m}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const dataDir = mkdtempSync(join(tmpdir(), 'fs-regions-bench-'));
const prefix = `fs-regions-bench-${randomBytes(4).toString('hex')}:`;
const adminToken = `fsk_bench_${randomBytes(16).toString('hex')}`;
let primary: PrivateRedis | undefined;
let stack: LocalStack | undefined;
let replica: ReplicaRedis | undefined;
const links: RegionLink[] = [];
const loops: Array<{ stop(): Promise<void> }> = [];

interface Answer {
  status: number;
  value?: unknown;
  version?: number;
}

/** One OFREP evaluation of the bench flag; a failed request counts as status 0. */
async function evaluate(url: string, sdkKey: string): Promise<Answer> {
  try {
    const r = await fetch(`${url}/ofrep/v1/evaluate/flags/bench-flag`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: '{"context":{"targetingKey":"u"}}',
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await r.json()) as { value?: unknown; metadata?: { snapshotVersion?: number } };
    return { status: r.status, value: body.value, version: body.metadata?.snapshotVersion };
  } catch {
    return { status: 0 };
  }
}

/** What a region's load loop saw, in total and inside a window (the partition). */
class LoadTally {
  requests = 0;
  errors = 0;
  staleAfterNewer = 0;
  newest = 0;
  windowErrors = 0;
  windowStale = 0;
  windowRequests = 0;
  private window: [number, number] | undefined;

  open(): void {
    this.window = [now(), Infinity];
  }
  close(): void {
    if (this.window) this.window[1] = now();
  }
  record(a: Answer, at: number): void {
    const inWindow = this.window !== undefined && at >= this.window[0] && at <= this.window[1];
    this.requests++;
    if (inWindow) this.windowRequests++;
    if (a.status !== 200) {
      this.errors++;
      if (inWindow) this.windowErrors++;
      return;
    }
    if (typeof a.version === 'number') {
      if (a.version < this.newest) {
        this.staleAfterNewer++;
        if (inWindow) this.windowStale++;
      }
      this.newest = Math.max(this.newest, a.version);
    }
  }
}

/** A steady loop of `rps` evaluations a second (each one on its own: a slow answer delays none). */
function startLoad(url: string, sdkKey: string, rps: number, tally: LoadTally): { stop(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  const timer = setInterval(
    () => {
      if (pending.size > rps) return; // the evaluator is not answering: do not pile up
      const sent = now();
      const p = evaluate(url, sdkKey).then((a) => tally.record(a, sent));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
    Math.max(1, Math.round(1000 / rps)),
  );
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/** The primary's resync counters (INFO stats). */
async function syncCounts(redis: Redis): Promise<{ full: number; partial: number }> {
  const stats = await redis.info('stats');
  const count = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(stats)?.[1] ?? NaN);
  return { full: count('sync_full'), partial: count('sync_partial_ok') };
}

/** Polls `check` every `everyMs` until it is true; the time it took (ms), or throws after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs: number, what: string): Promise<number> {
  const started = now();
  for (;;) {
    if (await check()) return now() - started;
    if (now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function main() {
  primary = await startPrivateRedis();
  log(
    `home: primary redis-server on ${primary.port}; starting controller, workers and one evaluator (prefix ${prefix})`,
  );
  stack = await startLocalStack({
    controllerPort: 0,
    evaluatorPorts: [0],
    redisUrl: primary.url,
    privateRedisFallback: false,
    keyPrefix: prefix,
    dataDir,
    adminToken,
    supervisor: { echo: false },
    env: { REGION: 'home' },
  });
  const replication = await startRegionLink(primary.port, LINK_DELAY_MS);
  const commands = await startRegionLink(primary.port, LINK_DELAY_MS);
  links.push(replication, commands);
  replica = await startReplicaRedis(replication.port, { replTimeoutS: 5, backlogBytes: 64 * 1024 * 1024 });
  log(`far: replica redis-server on ${replica.port}, replicating through a ${LINK_DELAY_MS} ms link`);
  const [farPort, farAdminPort] = [await freePort(), await freePort()];
  const far = stack.supervisor.start({
    name: 'evaluator-far',
    file: 'evaluator/src/server/main.ts',
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      REGION: 'far',
      REDIS_READ_URL: replica.url,
      REDIS_URL: `redis://127.0.0.1:${commands.port}`,
      REDIS_KEY_PREFIX: prefix,
      EVALUATOR_PORT: String(farPort),
      EVALUATOR_ADMIN_PORT: String(farAdminPort),
      EVALUATOR_DATA_DIR: resolve(dataDir, 'evaluator-far'),
    },
  });
  const farUrl = `http://127.0.0.1:${farPort}`;
  const farAdmin = `http://127.0.0.1:${farAdminPort}`;
  await waitForHttp(`${farUrl}/healthz`, 60_000, far);
  const homeUrl = stack.evaluatorUrls[0]!;

  const admin = new AdminClient(stack.apiUrl, adminToken);
  const { sdkKey, configVersion: firstConfigVersion } = await admin.setUpBooleanFlag('bench', 'prod', 'bench-flag');
  let configVersion = firstConfigVersion;
  let variant: 'on' | 'off' = 'on';
  const change = async () => {
    variant = variant === 'on' ? 'off' : 'on';
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await admin.putConfig('bench', 'prod', 'bench-flag', configVersion, {
          enabled: true,
          defaultRule: { variant },
        });
        configVersion = written.version;
        return now();
      } catch (error) {
        // SQLite may answer a busy snapshot now and then (scripts/stack/admin-client.ts): ask again.
        if (attempt >= 5) throw error;
        await sleep(100);
      }
    }
  };
  const serves = async (url: string, expected: boolean) => (await evaluate(url, sdkKey)).value === expected;
  await until(async () => (await serves(homeUrl, true)) && (await serves(farUrl, true)), 30_000, 50, 'both regions');

  const homeLoad = new LoadTally();
  const farLoad = new LoadTally();
  loops.push(startLoad(homeUrl, sdkKey, LOAD_RPS, homeLoad), startLoad(farUrl, sdkKey, LOAD_RPS, farLoad));

  log(`${CHANGES} changes at home, each timed until the far region serves it (both evaluators under ${LOAD_RPS} rps)`);
  const latencies: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const ok2xx = await change();
    const expected = variant === 'on';
    await until(() => serves(farUrl, expected), PER_CHANGE_TIMEOUT_MS, 5, `change ${i + 1} in the far region`);
    latencies.push(now() - ok2xx);
    await sleep(20);
  }
  const sorted = [...latencies].sort((a, b) => a - b);

  log(`cutting the link for ${PARTITION_S} s; a change at home every second`);
  const redis = new Redis(primary.url, { maxRetriesPerRequest: 1 });
  const farReady = async () => {
    const r = await fetch(`${farAdmin}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return (await r.json()) as { replication?: { stale: boolean; staleness_ms: number | null } };
  };
  const before = await syncCounts(redis);
  farLoad.open();
  await Promise.all(links.map((l) => l.cut()));
  const cutAt = now();
  const detection = until(async () => (await farReady()).replication?.stale === true, DETECT_TIMEOUT_MS, 100, 'stale');
  let partitionChanges = 0;
  while (now() - cutAt < PARTITION_S * 1000) {
    await change();
    partitionChanges++;
    await sleep(Math.max(0, cutAt + partitionChanges * 1000 - now()));
  }
  const detectedMs = await detection;
  const expected = variant === 'on';
  await until(() => serves(homeUrl, expected), PER_CHANGE_TIMEOUT_MS, 20, 'the last change at home');
  const latest = Number(await redis.get(`${prefix}snapshot-version:bench.prod`));
  const duringCut = await farReady();
  log(
    `${partitionChanges} changes during the cut; home at version ${latest}; far staleness ${duringCut.replication?.staleness_ms} ms`,
  );

  await Promise.all(links.map((l) => l.heal()));
  farLoad.close();
  const convergedMs = await until(
    async () => ((await evaluate(farUrl, sdkKey)).version ?? 0) >= latest,
    CONVERGE_TIMEOUT_MS,
    20,
    `version ${latest} in the far region`,
  );
  await until(async () => (await farReady()).replication?.stale === false, CONVERGE_TIMEOUT_MS, 100, 'fresh again');
  // How the replica came back: a partial resync from the backlog is what repl-backlog-size buys.
  const after = await syncCounts(redis);
  log(
    `replica resyncs during the heal: ${after.partial - before.partial} partial, ${after.full - before.full} full (the backlog covered the partition when full is 0)`,
  );
  redis.disconnect();
  for (const l of loops.splice(0)) await l.stop();

  log(
    `cross-region latency ms: min ${round(sorted[0]!)} p50 ${round(percentile(sorted, 50))} p90 ${round(percentile(sorted, 90))} p99 ${round(percentile(sorted, 99))} max ${round(sorted.at(-1)!)} (target p99 < 200)`,
  );
  log(
    `far load: ${farLoad.requests} requests, ${farLoad.errors} errors, ${farLoad.staleAfterNewer} stale-after-newer; during the partition ${farLoad.windowRequests} requests, ${farLoad.windowErrors} errors, ${farLoad.windowStale} stale-after-newer (target 0 / 0)`,
  );
  log(`home load: ${homeLoad.requests} requests, ${homeLoad.errors} errors`);
  log(
    `partition detected after ${round(detectedMs / 1000, 2)} s; converged ${round(convergedMs / 1000, 2)} s after the heal (target < 10)`,
  );
  if (farLoad.windowRequests === 0) throw new Error('the far load loop sent nothing during the partition');
  return {
    regions: 2,
    cross_region_p99_ms: round(percentile(sorted, 99)),
    errors_during_partition: farLoad.windowErrors,
    stale_after_newer: farLoad.windowStale,
    partition_detected_s: round(detectedMs / 1000, 2),
    converged_after_heal_s: round(convergedMs / 1000, 2),
  };
}

async function cleanup() {
  for (const l of loops.splice(0)) await l.stop().catch(() => {});
  await stack?.supervisor.stopAll().catch(() => {});
  await replica?.stop().catch(() => {});
  for (const l of links.splice(0)) await l.close().catch(() => {});
  // Every key lives in the private primary and its replica: stopping them (no persistence) removes them all.
  await primary?.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });

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
  if (!interrupted) await cleanup();
}
if (result) console.log(JSON.stringify({ bench: 'regions', metrics: result }));
process.exit(exitCode);
