/**
 * Prometheus metrics of one workers process, in its own prom-client Registry (as the evaluator's,
 * evaluator/src/server/observability/evaluator-metrics.ts): the loops keep plain counts, and the
 * scrape's collect() callbacks turn them into series. Served by metrics-listener.ts.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** What the kill metrics read (the kill reconciler, workers/src/kill/kill-reconciler.ts). */
export interface KillMetricsSource {
  /** Unreadable pending kills this process moved to `pending-kills:bad`, since it started. */
  readonly invalidPendingKills: number;
  /** The lengths of the `pending-kills` and `pending-kills:bad` hashes now (shared by every process). */
  queueLengths(): Promise<{ pending: number; invalid: number }>;
}

/** A scrape never waits longer than this for Redis: a down Redis shows as NaN, not as a hung scrape. */
export const REDIS_READ_TIMEOUT_MS = 1_000;

export class WorkersMetrics {
  readonly registry = new Registry();
  private kills: KillMetricsSource | undefined;

  constructor() {
    const registers = [this.registry];
    const kills = () => this.kills;
    let counted = 0;
    new Counter({
      name: 'flagship_kill_pending_invalid_total',
      help: 'Pending kills that could not be read and were moved to the pending-kills:bad hash by this process.',
      registers,
      collect() {
        const n = kills()?.invalidPendingKills ?? 0;
        if (n > counted) this.inc(n - counted);
        counted = Math.max(counted, n);
      },
    });
    // The hashes are the state an operator acts on: a set-aside kill stays until a human reads it
    // (docs/operations.md), whichever process set it aside and however often the workers restarted.
    let lengths: Promise<{ pending: number; invalid: number } | undefined> | undefined;
    const read = () =>
      (lengths ??= this.readLengths().finally(() => {
        setImmediate(() => {
          lengths = undefined;
        });
      }));
    new Gauge({
      name: 'flagship_kill_pending',
      help: 'Kills made through Redis while the database could not take them, waiting to be written to it (pending-kills hash; NaN: Redis did not answer).',
      registers,
      async collect() {
        const q = await read();
        this.set(q ? q.pending : Number.NaN);
      },
    });
    new Gauge({
      name: 'flagship_kill_pending_invalid',
      help: 'Unreadable pending kills set aside for a human to read (pending-kills:bad hash; NaN: Redis did not answer).',
      registers,
      async collect() {
        const q = await read();
        this.set(q ? q.invalid : Number.NaN);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The kill reconciler exists once the database answered; until then its series read 0 / NaN. */
  watchKills(source: KillMetricsSource): void {
    this.kills = source;
  }

  private async readLengths(): Promise<{ pending: number; invalid: number } | undefined> {
    const source = this.kills;
    if (!source) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), REDIS_READ_TIMEOUT_MS);
    });
    try {
      return await Promise.race([source.queueLengths().catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
