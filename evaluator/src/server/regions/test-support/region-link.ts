/**
 * A link between two regions for tests and `npm run bench:regions` (docs/regions.md): a TCP
 * proxy that adds a fixed delay to every chunk in each direction (this kernel has no `tc netem`)
 * and that can be cut (every connection reset, new ones refused) and healed; and a private
 * `redis-server` replica (`replicaof`) of a primary reached through such a link. Not part of the
 * product: the product uses Redis's own replication over the real network.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../../../../scripts/stack/redis-server.ts';

export interface RegionLink {
  /** Where to connect on 127.0.0.1: the far end of the link. */
  port: number;
  /** Resets every connection and refuses new ones until {@link heal}. */
  cut(): Promise<void>;
  heal(): Promise<void>;
  readonly isCut: boolean;
  close(): Promise<void>;
}

/**
 * A proxy to 127.0.0.1:`targetPort` adding `delayMs` each way. Chunks keep their order (timers of
 * one duration fire in the order they were set); there is no flow control, which is fine for the
 * small replication and command traffic a test or the benchmark sends.
 */
export async function startRegionLink(targetPort: number, delayMs: number): Promise<RegionLink> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let server: Server | undefined;
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (delayMs <= 0) {
        to.write(chunk);
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!to.destroyed) to.write(chunk);
      }, delayMs);
      timers.add(timer);
    });
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.setNoDelay(true);
        }
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
        forward(client, upstream);
        forward(upstream, client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const t of timers) clearTimeout(t); // what is in flight is lost, as on a failed link
    timers.clear();
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return {
    port,
    cut,
    heal: async () => {
      if (server === undefined) await listen();
    },
    get isCut() {
      return server === undefined;
    },
    close: cut,
  };
}

export interface ReplicaRedis {
  url: string;
  port: number;
  process: ChildProcess;
  /** `master_link_status` from INFO replication: `up` once in sync. */
  linkStatus(): Promise<string | undefined>;
  stop(): Promise<void>;
}

/**
 * A `redis-server` replica of the primary at 127.0.0.1:`primaryPort` (a {@link RegionLink}'s
 * port for a far region), no persistence, with the settings docs/regions.md asks of a far
 * replica: a short `repl-timeout` (notice a silent link in seconds, not a minute) and a backlog
 * that covers the longest partition (a partial resync after it heals, not a full one).
 * Resolves once the replica is in sync.
 */
export async function startReplicaRedis(
  primaryPort: number,
  o: { replTimeoutS?: number; backlogBytes?: number; timeoutMs?: number } = {},
): Promise<ReplicaRedis> {
  const port = await freePort();
  // A replica writes the primary's full-sync RDB to its working folder: a private one, never the
  // repository's (two replicas there would also share one dump.rdb).
  const dir = mkdtempSync(join(tmpdir(), 'fs-replica-'));
  const child = spawn(
    'redis-server',
    [
      '--dir',
      dir,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
      '--replicaof',
      '127.0.0.1',
      String(primaryPort),
      '--repl-timeout',
      String(o.replTimeoutS ?? 5),
      '--repl-backlog-size',
      String(o.backlogBytes ?? 64 * 1024 * 1024),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => 100 });
  probe.on('error', () => {});
  const linkStatus = async () => {
    try {
      const info = await probe.info('replication');
      return /master_link_status:(\w+)/.exec(info)?.[1];
    } catch {
      return undefined;
    }
  };
  const stop = async () => {
    probe.disconnect();
    if (child.exitCode !== null || child.signalCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(timer);
  };
  const deadline = Date.now() + (o.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`replica redis-server exited at start (code ${child.exitCode}): ${output.trim()}`);
    }
    if ((await linkStatus()) === 'up') return { url, port, process: child, linkStatus, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`replica on port ${port} not in sync within ${o.timeoutMs ?? 15_000} ms: ${output.trim()}`);
}
