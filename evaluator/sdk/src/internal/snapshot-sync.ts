/**
 * Keeps one environment's snapshot current from a list of evaluators (docs/sdk.md): one stream
 * at a time; a change event carrying a delta onto the held state, or the snapshot, is applied as
 * it is; on open, and on every stream event naming an ETag the SDK does not hold without carrying
 * what applies (a delta onto another base, or nothing), a single-flight conditional fetch
 * (`If-None-Match`, `?since=` the held version) from the same evaluator, whose answer is the
 * delta from that version or the snapshot; a delta answer that cannot be applied is refused and
 * healed at once by a fetch of the full snapshot (no `since`); a lost stream fails
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
  /** The version of the snapshot held now, for `?since=`. */
  version(): number | undefined;
  /**
   * A snapshot or a delta arrived (a fetched body, or parsed from a stream event); returns why
   * it was refused (the held snapshot is kept), and whether it was a delta.
   */
  apply(body: string | object, etag: string): ApplyRefusal | undefined;
  /** A fetched delta was refused: the sync fetches the full snapshot next. */
  deltaRefused(problem: string): void;
  /** An evaluator answered a fetch (200 or 304): the held snapshot is what it serves. */
  confirmed(): void;
  /** Every evaluator failed in a row (`fatal`: one refused the key, 401/403). */
  unreachable(error: EvaluatorRequestError): void;
}

/** Why a body was not applied; `delta`: it was a delta (a full fetch heals it). */
export interface ApplyRefusal {
  readonly problem: string;
  readonly delta: boolean;
}

/** What the sync fetched, since start (for tests and debugging). */
export interface SyncCounts {
  /** Fetches with `?since=` (answered by a delta, a snapshot or a 304). */
  sinceFetches: number;
  /** Fetches without (nothing held, or healing a refused delta). */
  fullFetches: number;
  /** Fetched deltas refused, each healed by a full fetch. */
  refusedDeltas: number;
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
  readonly counts: SyncCounts = { sinceFetches: 0, fullFetches: 0, refusedDeltas: 0 };

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
      onSnapshot: (_version, etag, inline) => {
        // The first event on every connect names what the evaluator serves: usually what we hold.
        if (etag !== undefined && etag === this.owner.etag()) return;
        // A delta onto another state than the held one (a missed event) is refused here, and the
        // fetch asks for the delta from the held version instead.
        if (inline !== undefined && etag !== undefined && this.owner.apply(inline, etag) === undefined) {
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
          const etag = this.owner.etag();
          const answer = await this.fetch(etag, etag === undefined ? undefined : this.owner.version());
          if (generation !== this.generation) return;
          let refusal = answer.changed ? this.owner.apply(answer.body, answer.etag) : undefined;
          if (refusal?.delta === true) {
            // A delta that does not apply (another base, a bad shape): the full snapshot heals it.
            this.counts.refusedDeltas++;
            this.owner.deltaRefused(`${this.evaluator}: ${refusal.problem}`);
            const full = await this.fetch(this.owner.etag(), undefined);
            if (generation !== this.generation) return;
            refusal = full.changed ? this.owner.apply(full.body, full.etag) : undefined;
          }
          if (refusal !== undefined)
            throw new EvaluatorRequestError(`${this.evaluator}: ${refusal.problem}`, 200, false);
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

  private fetch(etag: string | undefined, since: number | undefined) {
    if (since === undefined) this.counts.fullFetches++;
    else this.counts.sinceFetches++;
    return fetchSnapshot(this.evaluator, this.o.sdkKey, etag, this.o.fetchTimeoutMs, since);
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
