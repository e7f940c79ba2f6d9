/**
 * Prometheus metrics of one workers process, in its own prom-client Registry (as the evaluator's,
 * evaluator/src/server/observability/evaluator-metrics.ts): the loops keep plain counts, and the
 * scrape's collect() callbacks turn them into series. Served by metrics-listener.ts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the kill metrics read (the kill reconciler, workers/src/kill/kill-reconciler.ts). */
export interface KillMetricsSource {
  /** Unreadable pending kills this process moved to `pending-kills:bad`, since it started. */
  readonly invalidPendingKills: number;
  /** The lengths of the `pending-kills` and `pending-kills:bad` hashes now (shared by every process). */
  queueLengths(): Promise<{ pending: number; invalid: number }>;
}

/** What the outbox gauge reads (the outbox store: the oldest pending row's commit time). */
export interface OutboxMetricsSource {
  /** Epoch ms of the oldest row still in the outbox, or undefined when it is empty. */
  oldestPendingAt(): Promise<number | undefined>;
}

/** How an analysis query to Prometheus ended (bounded: the reasons the tick runner tells apart). */
export type AnalysisQueryOutcome = 'ok' | 'timeout' | 'unreachable' | 'query_error' | 'bad_response';

/** How one webhook delivery attempt ended: `failed` will be retried, `exhausted` was the last try. */
export type WebhookDeliveryOutcome = 'delivered' | 'failed' | 'exhausted';

/** The decisions a tick can take (controller/src/rollouts/analysis/decide.ts, `Decision`). */
export const ROLLOUT_DECISIONS = ['advance', 'complete', 'await-approval', 'hold', 'rollback', 'pause'] as const;
export type RolloutDecisionKind = (typeof ROLLOUT_DECISIONS)[number];

/** A scrape never waits longer than this for Redis: a down Redis shows as NaN, not as a hung scrape. */
export const REDIS_READ_TIMEOUT_MS = 1_000;

export class WorkersMetrics {
  readonly registry = new Registry();
  private kills: KillMetricsSource | undefined;
  private outbox: OutboxMetricsSource | undefined;
  private readonly publisherErrors: Counter;
  private readonly tickLag: Histogram;
  private readonly ticks: Counter;
  private readonly lateTicks: Counter;
  private readonly queryDuration: Histogram<'outcome'>;
  private readonly queryErrors: Counter<'reason'>;
  private readonly decisions: Counter<'environment' | 'decision'>;
  private readonly deliveries: Counter<'outcome'>;

  constructor() {
    const registers = [this.registry];
    // Always 1 while the process runs: the alert FlagshipWorkersAbsent (prometheus/rules/) fires
    // when no series of it is scraped, whatever job or instance labels the scrape adds.
    new Gauge({
      name: 'flagship_workers_up',
      help: 'Always 1: a workers process is running and scraped.',
      registers,
    }).set(1);
    const outbox = () => this.outbox;
    new Gauge({
      name: 'flagship_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outbox row not yet published (0: the outbox is empty; NaN: the database did not answer).',
      registers,
      async collect() {
        const source = outbox();
        if (!source) return this.set(Number.NaN);
        const at = await withTimeout(source.oldestPendingAt(), REDIS_READ_TIMEOUT_MS);
        if (at === null) return this.set(Number.NaN);
        this.set(at === undefined ? 0 : Math.max(0, Date.now() - at) / 1000);
      },
    });
    this.publisherErrors = new Counter({
      name: 'flagship_publisher_errors_total',
      help: 'Snapshot publisher passes that failed (database or Redis error); the rows stay and are retried.',
      registers,
    });
    this.tickLag = new Histogram({
      name: 'flagship_rollout_tick_lag_seconds',
      help: 'Time from an analysis tick being due to its start.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.ticks = new Counter({ name: 'flagship_rollout_ticks_total', help: 'Analysis ticks started.', registers });
    this.lateTicks = new Counter({
      name: 'flagship_rollout_ticks_late_total',
      help: 'Analysis ticks that started more than 2 analysis intervals after they were due (the rollout-ticks SLO, docs/slo.md).',
      registers,
    });
    this.queryDuration = new Histogram({
      name: 'flagship_analysis_query_duration_seconds',
      help: 'Duration of the analysis queries to Prometheus, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.queryErrors = new Counter({
      name: 'flagship_analysis_query_errors_total',
      help: 'Analysis queries to Prometheus that failed, by reason (timeout, unreachable, query_error, bad_response).',
      labelNames: ['reason'],
      registers,
    });
    this.decisions = new Counter({
      name: 'flagship_rollout_decisions_total',
      help: 'Decisions of analysis ticks, by environment and decision (advance, complete, await-approval, hold, rollback, pause).',
      labelNames: ['environment', 'decision'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'flagship_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (delivered; failed: will be retried; exhausted: the last retry failed).',
      labelNames: ['outcome'],
      registers,
    });
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

  /** The outbox gauge reads NaN until the publisher's store is given (the database answered). */
  watchOutbox(source: OutboxMetricsSource): void {
    this.outbox = source;
  }

  /** Counts a failed publisher pass. */
  publisherFailed(): void {
    this.publisherErrors.inc();
  }

  /** Records a tick's start: `lagSeconds` after it was due, its rollout analysed every `intervalSeconds`. */
  tickStarted(lagSeconds: number, intervalSeconds: number): void {
    const lag = Math.max(0, lagSeconds);
    this.tickLag.observe(lag);
    this.ticks.inc();
    if (lag > 2 * intervalSeconds) this.lateTicks.inc();
  }

  /** Records one analysis query to Prometheus. */
  analysisQuery(outcome: AnalysisQueryOutcome, seconds: number): void {
    this.queryDuration.observe({ outcome: outcome === 'ok' ? 'ok' : 'error' }, seconds);
    if (outcome !== 'ok') this.queryErrors.inc({ reason: outcome });
  }

  /** Counts a tick's decision; environments are the deployment's own (bounded), decisions a fixed list. */
  rolloutDecision(environment: string, decision: RolloutDecisionKind): void {
    this.decisions.inc({ environment, decision });
  }

  /** Counts one webhook delivery attempt. */
  webhookDelivery(outcome: WebhookDeliveryOutcome): void {
    this.deliveries.inc({ outcome });
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

/** Resolves with the promise's value, or null after `ms` or on its rejection: a scrape never hangs. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([p.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
