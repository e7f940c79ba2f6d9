/**
 * Finding Redis for a local stack: is anything answering at a URL, and if not, a private
 * `redis-server` on a free port with no persistence, owned (and stopped) by the caller.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** True when a Redis at `url` answers PING within `timeoutMs`. */
export function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    let data = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => {
      const auth = u.password ? `AUTH ${decodeURIComponent(u.password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('+PONG')) done(true);
      else if (data.startsWith('-') && !u.password) done(false);
    });
    socket.on('error', () => done(false));
  });
}

/**
 * Ports this process handed out: the OS may give a port back as soon as the probe closes it, and
 * a stack asks for several before its children bind them (CI once got one port for an
 * evaluator and its admin listener).
 */
const handedOut = new Set<number>();

/** A TCP port nothing listens on right now on 127.0.0.1: `preferred` when it is free, else one the OS picks. */
export async function freePort(preferred = 0): Promise<number> {
  // Bounded: the OS hands out thousands of ports before it repeats one this process kept.
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await probePort(attempt === 0 ? preferred : 0);
    if (handedOut.has(port) && port !== preferred) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: no port that this process has not handed out already');
}

function probePort(preferred: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', (err: NodeJS.ErrnoException) => {
      // The preferred port is taken: any free one will do.
      if (preferred !== 0 && err.code === 'EADDRINUSE') resolve(probePort(0));
      else reject(err);
    });
    server.listen(preferred, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when a `redis-server` binary is on PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface PrivateRedis {
  url: string;
  port: number;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on `port` (default: a free one) without persistence (no RDB, no AOF:
 * a throwaway for a local stack or a test), and waits until it answers.
 */
export async function startPrivateRedis(options: { port?: number; timeoutMs?: number } = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
      '--loglevel',
      'warning',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited at start (code ${child.exitCode}): ${output.trim()}`);
    if (await redisAnswers(url, 200)) return { url, port, process: child, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(
    `redis-server on port ${port} did not answer within ${options.timeoutMs ?? 5_000} ms: ${output.trim()}`,
  );
}
