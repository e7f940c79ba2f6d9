/**
 * Admission of work into the evaluator (docs/operations.md, "Evaluator admission"): a request is
 * admitted once its body has ended (a slow sender holds no slot: the server's request deadline,
 * `bodyTimeoutMs`, bounds it instead), and refused with 429 while `maxInFlight` admitted requests
 * are unanswered or the event loop lags more than `maxEventLoopLagMs`. Health probes never come
 * here. Plain counters and one interval timer: nothing is allocated per request.
 *
 * Who calls it: the OFREP handler when a body has ended, the router for the snapshot and stream
 * GETs; the reply path gives the slot back when it answers (http/reply.ts).
 */
import { performance } from 'node:perf_hooks';

/** Why a request was refused. */
export type ShedReason = 'in_flight' | 'event_loop_lag';

/** What holds a slot: a flag on the request itself, so a slot is given back exactly once. */
export interface SlotHolder {
  admitted: boolean;
}

/** The in-flight count and the event-loop lag signal of one server. */
export class Admission {
  private inFlight = 0;
  private lagging = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxEventLoopLagMs: number,
  ) {}

  /** True while {@link tryAcquire} refuses (tests, embedders). */
  get shedding(): boolean {
    return this.lagging || this.inFlight >= this.maxInFlight;
  }

  /** Admitted requests not yet answered. */
  get current(): number {
    return this.inFlight;
  }

  /** Takes a slot: true, or false when the request must be shed (see {@link reason}). */
  tryAcquire(): boolean {
    if (this.lagging || this.inFlight >= this.maxInFlight) return false;
    this.inFlight++;
    return true;
  }

  /** Gives back a slot taken by {@link tryAcquire}. */
  release(): void {
    this.inFlight--;
  }

  /** Takes a slot for `holder` and marks it: true, or false when it must be shed (see {@link reason}). */
  admit(holder: SlotHolder): boolean {
    if (!this.tryAcquire()) return false;
    holder.admitted = true;
    return true;
  }

  /** Gives back `holder`'s slot, if it holds one (idempotent). */
  releaseOf(holder: SlotHolder): void {
    if (!holder.admitted) return;
    holder.admitted = false;
    this.inFlight--;
  }

  /** Why {@link tryAcquire} refuses right now. */
  reason(): ShedReason {
    return this.lagging ? 'event_loop_lag' : 'in_flight';
  }

  /** Starts the lag monitor: a 100 ms interval whose lateness is the lag (0 disables it). */
  start(): void {
    if (this.maxEventLoopLagMs <= 0 || this.timer !== undefined) return;
    const interval = 100;
    let expected = performance.now() + interval;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.lagging = now - expected > this.maxEventLoopLagMs;
      expected = now + interval;
    }, interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
