/**
 * Prometheus metrics of one evaluator server, in its own prom-client Registry. The hot path
 * only bumps plain numbers (per-reason and per-exposure counts in the engine views, a small array
 * of latency histogram children); the scrape's collect() callbacks turn them into series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineView } from '../ofrep/engine-view.ts';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';
import type { ReplicationStatus } from '../regions/replication-status.ts';
import { EvaluationCounts } from './evaluation-counts.ts';

/** The routes the latency histogram distinguishes (a fixed set: never client-chosen label values). */
export const ROUTES = [
  'ofrep_single',
  'ofrep_bulk',
  'snapshot',
  'stream',
  'health',
  'ready',
  'metrics',
  'other',
] as const;
export type Route = (typeof ROUTES)[number];

// Indexes into ROUTES: the hot path records a number, the label string is looked up once per child.
export const ROUTE_OFREP_SINGLE = 0;
export const ROUTE_OFREP_BULK = 1;
export const ROUTE_SNAPSHOT = 2;
export const ROUTE_STREAM = 3;
export const ROUTE_HEALTH = 4;
export const ROUTE_READY = 5;
export const ROUTE_METRICS = 6;
export const ROUTE_OTHER = 7;

/** Where the metrics read the served state from. */
export interface MetricsSource {
  takeViews(): EngineView[];
  all(): ServedEnvironment[];
  sseClients(): number;
  /** Streams ended because their SDK key was revoked, since start. */
  sseRevoked(): number;
}

/** Where the replication metrics read from (regions/replication-monitor.ts). */
export interface ReplicationSource {
  status(): ReplicationStatus;
}

/** The evaluator's metrics. */
export class EvaluatorMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'route' | 'status'>;
  private readonly children = new Map<number, ReturnType<Histogram<'route' | 'status'>['labels']>>();
  private readonly propagationLag: Histogram<'environment'>;
  private readonly changePropagation: Histogram<'environment'>;
  private readonly shed: Counter<'reason'>;
  private readonly timeouts: Counter;
  private replication: ReplicationSource | undefined;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    new EvaluationCounts(source, registers);
    this.duration = new Histogram({
      name: 'evaluator_http_request_duration_seconds',
      help: 'HTTP request handling time by route and status (to the last byte handed to the socket).',
      labelNames: ['route', 'status'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    new Gauge({
      name: 'evaluator_snapshot_version',
      help: 'Snapshot version served per environment.',
      labelNames: ['environment', 'source'],
      registers,
      collect() {
        this.reset();
        for (const s of source.all()) this.set({ environment: s.environment, source: s.source }, s.version);
      },
    });
    new Gauge({
      name: 'evaluator_snapshot_age_seconds',
      help: 'Seconds since the served snapshot of each environment was published (since it was loaded when that is unknown).',
      labelNames: ['environment'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const s of source.all())
          this.set({ environment: s.environment }, (now - (s.envelope.publishedAt || s.loadedAt)) / 1000);
      },
    });
    new Gauge({
      name: 'evaluator_killed_flags',
      help: 'Flags served as DISABLED by an emergency kill on top of the snapshot, per environment.',
      labelNames: ['environment'],
      registers,
      collect() {
        this.reset();
        for (const s of source.all()) this.set({ environment: s.environment }, s.killed.length);
      },
    });
    new Gauge({
      name: 'evaluator_sse_clients',
      help: 'Open SSE stream connections.',
      registers,
      collect() {
        this.set(source.sseClients());
      },
    });
    new Counter({
      name: 'evaluator_sse_revoked_total',
      help: 'SSE streams ended at a snapshot swap because the snapshot no longer lists their SDK key.',
      registers,
      collect() {
        this.reset();
        this.inc(source.sseRevoked());
      },
    });
    this.propagationLag = new Histogram({
      name: 'evaluator_propagation_lag_seconds',
      help: 'Time from the publisher storing a snapshot (envelope.publishedAt) to this evaluator swapping it in.',
      labelNames: ['environment'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    // The propagation SLO (docs/slo.md: served within 1 s of the commit, 99.9%) reads the le="1"
    // bucket; the finer buckets below it are where the fleet normally is (docs/performance.md).
    this.changePropagation = new Histogram({
      name: 'evaluator_change_propagation_seconds',
      help: 'Time from a change being committed (envelope.committedAt, the oldest change the snapshot publishes) to this evaluator serving it.',
      labelNames: ['environment'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.shed = new Counter({
      name: 'evaluator_requests_shed_total',
      help: 'Requests answered 429 instead of being served, by reason (in_flight, event_loop_lag; sse_per_key, sse_total for streams over a cap).',
      labelNames: ['reason'],
      registers,
    });
    this.timeouts = new Counter({
      name: 'evaluator_request_timeouts_total',
      help: 'Requests answered 408 and closed because their headers and body did not arrive within the deadline (bodyTimeoutMs).',
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Adds the replication gauges, labelled by region (docs/regions.md):
   * `evaluator_replication_staleness_seconds` (absent before the first heartbeat) and
   * `evaluator_replication_stale` (1 above EVALUATOR_STALE_AFTER_MS). Once per process.
   */
  watchReplication(source: ReplicationSource): void {
    if (this.replication !== undefined) throw new Error('watchReplication: already watching');
    this.replication = source;
    const registers = [this.registry];
    new Gauge({
      name: 'evaluator_replication_staleness_seconds',
      help: 'Seconds since the home region wrote the heartbeat this evaluator last read from the Redis it follows (clock skew between the hosts adds to it).',
      labelNames: ['region'],
      registers,
      collect() {
        this.reset();
        const s = source.status();
        if (s.staleness_ms !== null) this.set({ region: s.region }, s.staleness_ms / 1000);
      },
    });
    new Gauge({
      name: 'evaluator_replication_stale',
      help: 'Whether replication from the home region is stale (staleness above EVALUATOR_STALE_AFTER_MS): the last snapshot is still served.',
      labelNames: ['region'],
      registers,
      collect() {
        this.reset();
        const s = source.status();
        this.set({ region: s.region }, s.stale ? 1 : 0);
      },
    });
  }

  /** The replication status for `/readyz`, when a region monitor is watched. */
  replicationStatus(): ReplicationStatus | undefined {
    return this.replication?.status();
  }

  /** Records one request's handling time; `route` is an index into {@link ROUTES}. */
  observe(route: number, status: number, seconds: number): void {
    const id = route * 1000 + status;
    let child = this.children.get(id);
    if (child === undefined) {
      child = this.duration.labels(ROUTES[route] ?? 'other', String(status));
      this.children.set(id, child);
    }
    child.observe(seconds);
  }

  /** Records a swap's propagation lag. */
  swapped(state: ServedEnvironment): void {
    const published = state.envelope.publishedAt;
    if (state.source === 'redis' && typeof published === 'number' && published > 0) {
      this.propagationLag.observe({ environment: state.environment }, Math.max(0, state.loadedAt - published) / 1000);
    }
    const committed = state.envelope.committedAt;
    if (state.source === 'redis' && typeof committed === 'number' && committed > 0) {
      this.changePropagation.observe(
        { environment: state.environment },
        Math.max(0, state.loadedAt - committed) / 1000,
      );
    }
  }

  /** Counts a request shed with 429. */
  shedRequest(reason: 'in_flight' | 'event_loop_lag' | 'sse_per_key' | 'sse_total'): void {
    this.shed.inc({ reason });
  }

  /** Counts a request cut at the body deadline. */
  requestTimedOut(): void {
    this.timeouts.inc();
  }

  // Declared after `registry`, so it is initialised after it (fields initialise in order).
  private readonly snapshotAnswers = new Counter({
    name: 'evaluator_snapshot_answers_total',
    help: 'GET /v1/snapshot answers with a body, by kind: delta (to ?since=N) or full (the snapshot).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  /** Counts a /v1/snapshot answer with a body (not a 304). */
  snapshotAnswer(kind: 'delta' | 'full'): void {
    this.snapshotAnswers.inc({ kind });
  }
}
