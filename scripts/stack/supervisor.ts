/**
 * Child processes of a local stack: each one's output prefixed with its name (or kept quiet),
 * its last lines kept for the report when it dies, signals forwarded, and a bounded stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  name: string;
  /** A TypeScript entry point, run as `node --import tsx <file>`. */
  file: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface SupervisedChild {
  name: string;
  process: ChildProcess;
  /** The last lines it printed (stdout and stderr). */
  lastLines: string[];
  /** Called with every line it prints from now on. */
  lineListeners: Set<(line: string) => void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SupervisorOptions {
  /** Print each line as `[name] line` (default true). */
  echo?: boolean;
  /** Lines kept per child. */
  keepLines?: number;
  /** Called for every line of every child. */
  onLine?: (child: string, line: string) => void;
  /** Called when a child exits while the supervisor is not stopping. */
  onUnexpectedExit?: (child: SupervisedChild, code: number | null, signal: NodeJS.Signals | null) => void;
}

export class Supervisor {
  readonly children: SupervisedChild[] = [];
  private stopping = false;

  constructor(private readonly options: SupervisorOptions = {}) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  start(spec: ChildSpec): SupervisedChild {
    const child = spawn(process.execPath, ['--import', 'tsx', spec.file], {
      cwd: spec.cwd,
      env: Object.fromEntries<string | undefined>(Object.entries(spec.env).filter(([, v]) => v !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = this.options.keepLines ?? 40;
    const supervised: SupervisedChild = {
      name: spec.name,
      process: child,
      lastLines: [],
      lineListeners: new Set(),
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        supervised.lastLines.push(line);
        if (supervised.lastLines.length > keep) supervised.lastLines.shift();
        if (this.options.echo !== false) process.stdout.write(`[${spec.name}] ${line}\n`);
        this.options.onLine?.(spec.name, line);
        for (const l of supervised.lineListeners) l(line);
      });
    }
    void supervised.exited.then(({ code, signal }) => {
      if (!this.stopping) this.options.onUnexpectedExit?.(supervised, code, signal);
    });
    this.children.push(supervised);
    return supervised;
  }

  /** Sends `signal` to every live child and waits for all of them; SIGKILL after `graceMs`. */
  async stopAll(signal: NodeJS.Signals = 'SIGTERM', graceMs = 8_000): Promise<void> {
    this.stopping = true;
    const live = this.children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
    for (const c of live) c.process.kill(signal);
    const timer = setTimeout(() => {
      for (const c of live) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    }, graceMs);
    await Promise.all(live.map((c) => c.exited));
    clearTimeout(timer);
  }
}

/** Resolves with the first line matching `pattern` printed by `child`, or rejects on exit / timeout. */
export function waitForLine(child: SupervisedChild, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    for (const line of child.lastLines) {
      const m = line.match(pattern);
      if (m) return resolve(m);
    }
    let settled = false;
    const listener = (line: string) => {
      const m = line.match(pattern);
      if (m) finish(() => resolve(m));
    };
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.lineListeners.delete(listener);
      f();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new Error(
              `${child.name} did not print ${pattern} within ${timeoutMs} ms; last lines:\n${child.lastLines.join('\n')}`,
            ),
          ),
        ),
      timeoutMs,
    );
    child.lineListeners.add(listener);
    void child.exited.then(({ code, signal }) =>
      finish(() =>
        reject(
          new Error(
            `${child.name} exited (${signal ?? `code ${code}`}) before printing ${pattern}; last lines:\n${child.lastLines.join('\n')}`,
          ),
        ),
      ),
    );
  });
}

/** Polls `url` until it answers 200, or throws after `timeoutMs` (or when `child` exits). */
export async function waitForHttp(url: string, timeoutMs: number, child?: SupervisedChild): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && (child.process.exitCode !== null || child.process.signalCode !== null)) {
      throw new Error(`${child.name} exited before ${url} answered; last lines:\n${child.lastLines.join('\n')}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${url} did not answer 200 within ${timeoutMs} ms (last: ${last})${child ? `; last lines of ${child.name}:\n${child.lastLines.join('\n')}` : ''}`,
  );
}
