/**
 * Admission of work into the evaluator (docs/operations.md, "Evaluator admission"): a request is
 * admitted once its body has ended (a slow sender holds no slot: the server's request deadline,
 * `bodyTimeoutMs`, bounds it instead), and refused with 429 while `maxInFlight` admitted requests
 * are unanswered or the event loop lags: a probe later than `maxEventLoopLagMs` (a stall), or the
 * current event-loop turn older than the queue-delay target when the request is read (overload,
 * below). Health probes never come here. Plain counters and one interval timer: nothing is
 * allocated per request.
 *
 * Why the turn's age: evaluation is synchronous, so an overloaded evaluator never has many
 * requests in flight; the excess waits unread in its sockets and the in-flight bound never trips.
 * What grows is the event loop's turn: each turn reads every socket that was ready when it began,
 * so a request read `t` ms into a turn has waited at least `t` ms. Shedding what is read after
 * `queueDelayTargetMs` bounds the admitted work of a turn, hence the wait of the next turn's
 * requests, whatever the offered rate; the shed ones cost the server a fraction of an admitted
 * one. The 500 ms lag rule alone let a 10x spike reach p99 450 ms before it shed anything
 * (docs/performance.md, "Spike"), and a lag probe decides once per turn: too late, and for a
 * whole turn at a time.
 *
 * The rule holds only while the previous turn overran too (its probe was at least half the
 * target late): a standing queue, CoDel's idea. One long turn alone is not overload: a process
 * paused by the OS mid-turn (CPU contention, a container's CPU quota) or one long task (compiling
 * a large snapshot) sheds nothing, and what queued behind it is admitted in the next turn. And it
 * holds only once the turn has admitted {@link MIN_TURN_ADMITTED} requests: a turn made long by
 * anything but our own queue (a host whose CPU other processes take, as a test suite on 2 cores
 * does) reads a request or two late, and shedding those bounds nothing; an overloaded one admits
 * dozens before it is 10 ms old.
 *
 * Who calls it: the OFREP handler when a body has ended, the router for the snapshot and stream
 * GETs; the reply path gives the slot back when it answers (http/reply.ts).
 */
import { performance } from 'node:perf_hooks';
import { ROUTE_STREAM } from './observability/evaluator-metrics.ts';

/** Age (ms) of the event-loop turn past which a request read in it is shed: the queue-delay target. */
export const QUEUE_DELAY_TARGET_MS = 10;
/**
 * The probe's period (ms): it fires in the timers phase that begins a turn, so its last firing
 * marks the turn's start. Well under the target, so an idle loop (last firing up to one period
 * ago) never looks old.
 */
const PROBE_MS = 5;
/** Requests a turn must have admitted before the queue-delay rule sheds in it (see above). */
export const MIN_TURN_ADMITTED = 8;

/** Why a request was refused. */
export type ShedReason = 'in_flight' | 'event_loop_lag';

/** What holds a slot: a flag on the request itself, so a slot is given back exactly once. */
export interface SlotHolder {
  admitted: boolean;
  /**
   * The request's route (observability/evaluator-metrics.ts). Stream opens are exempt from the
   * queue-delay rule: a reconnecting fleet opens them in bursts that make one long turn, each is
   * opened once for minutes, and shedding them would only make the herd come back; the stream caps
   * bound them instead.
   */
  route?: number;
}

/** The in-flight count and the event-loop lag signal of one server. */
export class Admission {
  private inFlight = 0;
  private lagging = false;
  /** performance.now() of the probe's last firing: about when the current turn began (Infinity: no probe). */
  private turnStart = Number.POSITIVE_INFINITY;
  /** The probe that began this turn was late by half the target or more: the previous turn overran. */
  private queueStanding = false;
  /** Requests admitted since the probe last fired (about: in this turn). */
  private admittedThisTurn = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param maxEventLoopLagMs one probe later than this sheds at once; 0 disables the lag monitor.
   * @param queueDelayTargetMs requests read this long into a turn are shed (capped at maxEventLoopLagMs).
   */
  constructor(
    private readonly maxInFlight: number,
    private readonly maxEventLoopLagMs: number,
    private queueDelayTargetMs = QUEUE_DELAY_TARGET_MS,
  ) {}

  /** True while {@link tryAcquire} refuses (tests, embedders). */
  get shedding(): boolean {
    return this.lagging || this.inFlight >= this.maxInFlight || this.turnTooOld();
  }

  /** The previous turn overran (the queue-delay rule is armed for this one): tests, embedders. */
  get queueIsStanding(): boolean {
    return this.queueStanding;
  }

  /** Admitted requests not yet answered. */
  get current(): number {
    return this.inFlight;
  }

  /** Takes a slot: true, or false when the request must be shed (see {@link reason}). */
  tryAcquire(): boolean {
    if (this.lagging || this.inFlight >= this.maxInFlight || this.turnTooOld()) return false;
    this.inFlight++;
    this.admittedThisTurn++;
    return true;
  }

  /** Gives back a slot taken by {@link tryAcquire}. */
  release(): void {
    this.inFlight--;
  }

  /** Takes a slot for `holder` and marks it: true, or false when it must be shed (see {@link reason}). */
  admit(holder: SlotHolder): boolean {
    if (holder.route === ROUTE_STREAM) {
      if (this.lagging || this.inFlight >= this.maxInFlight) return false;
      this.inFlight++;
    } else if (!this.tryAcquire()) return false;
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
    return this.inFlight >= this.maxInFlight ? 'in_flight' : 'event_loop_lag';
  }

  /** The current turn began more than the queue-delay target ago (a request read now waited as long). */
  private turnTooOld(): boolean {
    return (
      this.queueStanding &&
      this.admittedThisTurn >= MIN_TURN_ADMITTED &&
      performance.now() - this.turnStart > this.queueDelayTargetMs
    );
  }

  /** Starts the lag monitor: a {@link PROBE_MS} probe whose lateness is the lag (maxEventLoopLagMs 0 disables it). */
  start(): void {
    if (this.maxEventLoopLagMs <= 0 || this.timer !== undefined) return;
    this.queueDelayTargetMs = Math.min(this.queueDelayTargetMs, this.maxEventLoopLagMs);
    let expected = performance.now() + PROBE_MS;
    this.turnStart = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const lag = now - expected;
      this.lagging = lag > this.maxEventLoopLagMs;
      this.queueStanding = lag >= this.queueDelayTargetMs / 2;
      this.turnStart = now;
      this.admittedThisTurn = 0;
      expected = now + PROBE_MS;
    }, PROBE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    // A stopped monitor has no signal: nothing it measured keeps shedding.
    this.turnStart = Number.POSITIVE_INFINITY;
    this.queueStanding = false;
    this.lagging = false;
  }
}
