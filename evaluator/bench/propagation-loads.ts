/**
 * The propagation benchmark's load processes and what they report: {@link Arrivals} collects
 * the load processes' "every client has version N" reports, {@link forkLoad} starts one.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round = (x: number) => Math.round(x * 10) / 10;

/**
 * Completion reports from `sources` load processes: a version has arrived when every source has
 * reported it, at the latest of their times. A report for v also answers a wait for any lower one.
 */
export class Arrivals {
  private readonly reports = new Map<number, { sources: Set<number>; at: number; value?: boolean }>();
  private readonly waiters = new Map<number, (a: { at: number; value?: boolean }) => void>();
  private readonly readySources = new Set<number>();
  private readonly readyVersions: number[] = [];
  private failed: Error | undefined;
  private markReady!: () => void;
  private fail!: (e: Error) => void;
  readonly ready = new Promise<void>((resolve, reject) => {
    this.markReady = resolve;
    this.fail = reject;
  });

  constructor(private readonly sources: number) {
    this.ready.catch(() => {});
  }

  onReady(source: number, version?: number): void {
    this.readySources.add(source);
    if (version !== undefined) this.readyVersions.push(version);
    if (this.readySources.size === this.sources) this.markReady();
  }

  onError(message: string): void {
    this.failed ??= new Error(message);
    this.fail(this.failed);
  }

  onComplete(source: number, version: number, at: number, value?: boolean): void {
    let r = this.reports.get(version);
    if (r === undefined) this.reports.set(version, (r = { sources: new Set(), at: 0 }));
    r.sources.add(source);
    r.at = Math.max(r.at, at);
    if (value !== undefined) r.value = value;
    if (r.sources.size < this.sources) return;
    for (const [v, w] of this.waiters)
      if (v <= version) {
        this.waiters.delete(v);
        w({ at: r.at, value: r.value });
      }
  }

  /** The highest version every source has reported. */
  latest(): number {
    let best = 0;
    for (const [v, r] of this.reports) if (r.sources.size === this.sources && v > best) best = v;
    return best;
  }

  /** The version every source holds after start (the SSE stream's first event, or the SDKs' first snapshot). */
  async firstVersion(): Promise<number> {
    const settle = Date.now() + 10_000;
    while (this.latest() === 0 && this.readyVersions.length === 0 && Date.now() < settle)
      await new Promise((r) => setTimeout(r, 20));
    const v = Math.max(this.latest(), ...this.readyVersions.map((x) => x));
    if (v === 0) throw new Error('the load never received the initial snapshot');
    return v;
  }

  waitFor(target: number, timeoutMs: number, what: string): Promise<{ at: number; value?: boolean }> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters.delete(target);
        reject(new Error(`${what}: version ${target} did not reach every client within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (a: { at: number; value?: boolean }) => {
        clearTimeout(t);
        resolve(a);
      };
      // Already there (a completion can overtake the PUT's response).
      for (const [v, r] of this.reports)
        if (v >= target && r.sources.size === this.sources) {
          clearTimeout(t);
          resolve({ at: r.at, value: r.value });
          return;
        }
      this.waiters.set(target, done);
    });
  }
}

/** Forks `script` (relative to `base`, a module URL) with tsx; its IPC reports go to `arrivals` as `source`. */
export function forkLoad(
  base: string,
  script: string,
  env: Record<string, string>,
  arrivals: Arrivals,
  source: number,
) {
  const child = fork(fileURLToPath(new URL(`./${script}`, base)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (m: { type: string; version?: number; at?: number; value?: boolean; message?: string }) => {
    if (m.type === 'ready') arrivals.onReady(source, m.version);
    else if (m.type === 'complete') arrivals.onComplete(source, m.version!, m.at!, m.value);
    else if (m.type === 'error') arrivals.onError(`${script}: ${m.message}`);
  });
  child.on('exit', (code) => {
    if (!stopping.has(child)) arrivals.onError(`${script} exited with ${code}`);
  });
  return child;
}

const stopping = new Set<ReturnType<typeof fork>>();
export function stopLoad(child: ReturnType<typeof fork>): void {
  stopping.add(child);
  if (child.connected) child.send({ type: 'stop' });
  child.kill();
}
