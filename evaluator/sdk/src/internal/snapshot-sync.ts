/**
 * Keeps one environment's snapshot current from a list of evaluators (docs/sdk.md): one stream
 * at a time; a change event carrying the snapshot is applied as it is; on open, and on every
 * stream event naming an ETag the SDK does not hold without carrying it, a single-flight
 * conditional fetch (`If-None-Match`) from the same evaluator; a lost stream fails
 * over to the next evaluator at once, and once every evaluator has failed in a row, retries with
 * jittered exponential backoff and reports `stale`. A periodic conditional fetch heals a missed
 * event. Every timer and socket is unref'd.
 */
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { EvaluatorRequestError, fetchSnapshot, openStream, type EventStream } from './evaluator-http.ts';

/** What the sync reports to its owner. */
export interface SyncOwner {
  /** The ETag of the snapshot held now, for conditional requests. */
  etag(): string | undefined;
  /** A new snapshot arrived (a fetched body, or parsed from a stream event); returns a problem when it was refused (kept the old one). */
  apply(body: string | object, etag: string): string | undefined;
  /** An evaluator answered a fetch (200 or 304): the held snapshot is what it serves. */
  confirmed(): void;
  /** Every evaluator failed in a row (`fatal`: one refused the key, 401/403). */
  unreachable(error: EvaluatorRequestError): void;
}

export interface SyncOptions {
  evaluators: readonly string[];
  sdkKey: string;
  fetchTimeoutMs: number;
  streamIdleMs: number;
  checkIntervalMs: number;
  backoff: BackoffOptions;
  random?: () => number;
}

export class SnapshotSync {
  private index = 0;
  /** Connection attempts that failed since the last confirmed fetch. */
  private failures = 0;
  private generation = 0;
  private stream: EventStream | undefined;
  private retry: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly o: SyncOptions,
    private readonly owner: SyncOwner,
  ) {}

  start(): void {
    this.connect();
    this.check = setInterval(() => {
      if (this.stream !== undefined) void this.refetch(this.generation);
    }, this.o.checkIntervalMs);
    this.check.unref();
  }

  /** The evaluator the sync follows now (or tries next). */
  get evaluator(): string {
    return this.o.evaluators[this.index]!;
  }

  close(): void {
    this.closed = true;
    this.generation++;
    this.stream?.close();
    this.stream = undefined;
    clearTimeout(this.retry);
    clearInterval(this.check);
  }

  private connect(): void {
    if (this.closed) return;
    const generation = ++this.generation;
    const base = this.evaluator;
    this.stream = openStream(base, this.o.sdkKey, this.o.streamIdleMs, {
      onOpen: () => void this.refetch(generation),
      onSnapshot: (_version, etag, snapshot) => {
        // The first event on every connect names what the evaluator serves: usually what we hold.
        if (etag !== undefined && etag === this.owner.etag()) return;
        if (snapshot !== undefined && etag !== undefined && this.owner.apply(snapshot, etag) === undefined) {
          this.failures = 0;
          this.owner.confirmed();
          return;
        }
        void this.refetch(generation);
      },
      onEnd: (error) => this.lost(generation, error),
    });
  }

  /** Fetches from the current evaluator, once at a time; a call during a fetch fetches once more after it. */
  private refetch(generation: number): Promise<void> {
    if (this.inflight !== undefined) {
      this.again = true;
      return this.inflight;
    }
    this.inflight = (async () => {
      try {
        do {
          this.again = false;
          if (generation !== this.generation) return;
          const answer = await fetchSnapshot(this.evaluator, this.o.sdkKey, this.owner.etag(), this.o.fetchTimeoutMs);
          if (generation !== this.generation) return;
          if (answer.changed) {
            const problem = this.owner.apply(answer.body, answer.etag);
            if (problem !== undefined) throw new EvaluatorRequestError(`${this.evaluator}: ${problem}`, 200, false);
          }
          this.failures = 0;
          this.owner.confirmed();
        } while (this.again);
      } catch (e) {
        const error = e instanceof EvaluatorRequestError ? e : new EvaluatorRequestError(String(e), undefined, false);
        this.lost(generation, error);
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  private lost(generation: number, error: EvaluatorRequestError): void {
    if (generation !== this.generation || this.closed) return;
    this.generation++;
    this.stream?.close();
    this.stream = undefined;
    this.failures++;
    const n = this.o.evaluators.length;
    this.index = (this.index + 1) % n;
    if (this.failures >= n || error.fatal) this.owner.unreachable(error);
    // The next evaluator at once while some are untried in this round; then backoff.
    const delay = this.failures < n ? 0 : backoffDelay(this.failures - n, this.o.backoff, this.o.random);
    this.retry = setTimeout(() => this.connect(), delay);
    this.retry.unref();
  }
}
