/**
 * A private Redis with Sentinel for integration tests: Debian's `redis-server` as a primary and one
 * replica (`replicaof`), and three `redis-sentinel` processes watching them, all on free 127.0.0.1
 * ports with their files in a temp dir that `stop()` removes. The sentinels use short timeouts
 * (`down-after-milliseconds` 1 s, `failover-timeout` 3 s by default) so a killed primary is
 * replaced in a few seconds, not the default minute.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../scripts/stack/redis-server.ts';

export interface SentinelHarnessOptions {
  /** The master name the sentinels monitor. Default `mymaster`. */
  name?: string;
  /** Sentinel's `down-after-milliseconds`: silence before the primary counts as down. Default 1000. */
  downAfterMs?: number;
  /** Sentinel's `failover-timeout` (also the wait before a failed election is retried, x2). Default 3000. */
  failoverTimeoutMs?: number;
  /** Bound on each start-up wait (processes answering, replication up, sentinels knowing each other). Default 15 000. */
  startTimeoutMs?: number;
}

/** One process of the harness. */
export interface HarnessNode {
  port: number;
  process: ChildProcess;
  /** Its last output lines (for a failing test's message). */
  output(): string;
}

export interface SentinelHarness {
  name: string;
  primary: HarnessNode;
  replica: HarnessNode;
  sentinels: HarnessNode[];
  /** `redis://127.0.0.1:<primary port>`: what REDIS_URL may say (its host is unused with Sentinel). */
  primaryUrl: string;
  /** The product's settings for this harness: REDIS_SENTINELS and REDIS_SENTINEL_NAME. */
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /** Where a sentinel says the primary is now (`SENTINEL get-master-addr-by-name`). */
  masterPort(): Promise<number | undefined>;
  /** SIGKILL of the primary: no shutdown, no last write, as a crashed host. Resolves once it is gone. */
  killPrimary(): Promise<void>;
  /** Resolves with the new primary's port once every sentinel names a port other than `oldPort`; rejects after `timeoutMs`. */
  waitForPromotion(oldPort: number, timeoutMs: number): Promise<number>;
  /** SIGTERM to every process, SIGKILL after 3 s, then the temp dir removed. Idempotent. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 3_000;
const POLL_MS = 100;

/** Starts the five processes and resolves once the replica is in sync and every sentinel knows the replica and the other two sentinels. */
export async function startSentinelHarness(options: SentinelHarnessOptions = {}): Promise<SentinelHarness> {
  const name = options.name ?? 'mymaster';
  const downAfterMs = options.downAfterMs ?? 1_000;
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 3_000;
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const dir = await mkdtemp(join(tmpdir(), 'fs-sentinel-'));
  const nodes: HarnessNode[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((n) => stopProcess(n.process)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // No persistence: a throwaway, and a fresh replica does a full sync from memory in milliseconds.
    const redisArgs = (port: number) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'warning',
    ];
    const primaryPort = await freePort();
    const primary = launch('redis-server', redisArgs(primaryPort), primaryPort);
    nodes.push(primary);
    await waitFor(`primary on ${primaryPort} answering`, timeoutMs, () => answers(primaryPort), primary);
    const replicaPort = await freePort();
    const replica = launch(
      'redis-server',
      [...redisArgs(replicaPort), '--replicaof', '127.0.0.1', String(primaryPort)],
      replicaPort,
    );
    nodes.push(replica);
    await waitFor(
      `replica on ${replicaPort} in sync`,
      timeoutMs,
      async () => /master_link_status:up/.test(String(await ask(replicaPort, ['INFO', 'replication']))),
      replica,
    );
    const sentinels: HarnessNode[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // Sentinel rewrites its config file (discovered replicas and sentinels, epochs): one per sentinel.
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          'loglevel warning',
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const s = launch('redis-sentinel', [file], port);
      nodes.push(s);
      sentinels.push(s);
    }
    // A failover needs a known replica and a majority of sentinels that found each other (hello
    // messages every 2 s through the primary); starting the test earlier would make it flaky.
    for (const s of sentinels) {
      await waitFor(
        `sentinel on ${s.port} seeing the replica and 2 sentinels`,
        timeoutMs,
        async () => {
          const replicas = await ask(s.port, ['SENTINEL', 'REPLICAS', name]);
          const peers = await ask(s.port, ['SENTINEL', 'SENTINELS', name]);
          return Array.isArray(replicas) && replicas.length === 1 && Array.isArray(peers) && peers.length === 2;
        },
        s,
      );
    }
    const masterPortFrom = async (port: number): Promise<number | undefined> => {
      const addr = await ask(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]);
      return Array.isArray(addr) && addr.length === 2 ? Number(addr[1]) : undefined;
    };
    return {
      name,
      primary,
      replica,
      sentinels,
      primaryUrl: `redis://127.0.0.1:${primaryPort}`,
      env: { REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_NAME: name },
      masterPort: () => masterPortFrom(sentinels[0]!.port),
      killPrimary: async () => {
        const p = primary.process;
        if (p.exitCode !== null || p.signalCode !== null) return;
        const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
        p.kill('SIGKILL');
        await gone;
      },
      waitForPromotion: async (oldPort, waitMs) => {
        let newPort: number | undefined;
        await waitFor(`a sentinel promotion away from ${oldPort}`, waitMs, async () => {
          const ports = await Promise.all(sentinels.map((s) => masterPortFrom(s.port)));
          newPort = ports[0];
          return ports.every((p) => p !== undefined && p !== oldPort && p === ports[0]);
        });
        return newPort!;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function launch(binary: string, args: string[], port: number): HarnessNode {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A missing binary emits 'error' (ENOENT) instead of exiting; waitFor reports it through exitCode.
  child.on('error', (e) => keep(Buffer.from(`\n${binary}: ${e.message}\n`)));
  return { port, process: child, output: () => output.trim() };
}

/** One command on a short-lived connection; undefined when the process does not answer within 1 s. */
async function ask(port: number, command: [string, ...string[]]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(...command);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function answers(port: number): Promise<boolean> {
  return (await ask(port, ['PING'])) === 'PONG';
}

/** Polls `check` every 100 ms until it is true; rejects after `timeoutMs`, or at once when `node` exits. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, node?: HarnessNode) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const p = node?.process;
    if (p !== undefined && (p.exitCode !== null || p.signalCode !== null))
      throw new Error(`${what}: the process exited (${p.exitCode ?? p.signalCode}): ${node!.output()}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${node ? `: ${node.output()}` : ''}`);
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
}
