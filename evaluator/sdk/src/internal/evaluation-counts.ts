/**
 * In-memory evaluation counts, kept the way the evaluator keeps its own (docs/operations.md,
 * "Exposure counts") so the series stay bounded at design scale: per flag and variant only for the
 * flags the snapshot marks `trackExposures`, every other evaluation only by reason.
 *
 * Counting allocates nothing: the engine returns shared, frozen results (one per outcome), so a
 * result object keys its slot in a Map and an evaluation is one lookup and one increment. The
 * results the engine allocates per call (FLAG_NOT_FOUND, INVALID_CONTEXT) are never cached, or
 * the map would grow with every unknown key a caller asks for; they go to a fixed slot by code.
 */
import type { Engine, ErrorCode, EvaluationResult } from '@flagship/evaluator';

/** The reason label of a result: the reason, or `ERROR:<code>` (as the evaluator labels it). */
export type ReasonLabel = string;

/** One counted series: `flag` and `variant` are "" for the by-reason aggregate. */
export interface CountSlot {
  readonly flag: string;
  readonly variant: string;
  readonly reason: ReasonLabel;
  count: number;
}

/** What the SDK answers with no snapshot at all: the caller's code default. */
export const NOT_READY_LABEL = 'ERROR:PROVIDER_NOT_READY';

const REASONS = ['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DEFAULT', 'DISABLED', 'PREREQUISITE_FAILED'];
const CODES: ErrorCode[] = [
  'FLAG_NOT_FOUND',
  'TYPE_MISMATCH',
  'TARGETING_KEY_MISSING',
  'PARSE_ERROR',
  'INVALID_CONTEXT',
  'GENERAL',
];

/** Every by-reason label, in a fixed order (a label outside it counts as ERROR:GENERAL). */
export const REASON_LABELS: readonly ReasonLabel[] = [...REASONS, ...CODES.map((c) => `ERROR:${c}`), NOT_READY_LABEL];

/** The counts of one compiled engine (or of no engine yet): swapped out with it. */
export class EngineCounts {
  private readonly slots = new Map<EvaluationResult, CountSlot>();
  /** Every slot of this engine: the by-reason ones first, then one per tracked flag and variant. */
  readonly all: CountSlot[];
  private readonly byLabel = new Map<ReasonLabel, CountSlot>();
  // A one-entry cache in front of the map: a service evaluates the same few flags in a row, and
  // an identity compare costs a fraction of a map lookup (bench:sdk, static). Repeats of the last
  // result are counted in `pending`, a field of this object, and moved into its slot when the
  // result changes or the counts are read (`flush`): one increment where the slot's would take
  // one more load.
  private lastResult: EvaluationResult | undefined;
  private lastSlot: CountSlot | undefined;
  private pending = 0;

  constructor(private readonly engine: Engine | undefined) {
    this.all = REASON_LABELS.map((reason) => ({ flag: '', variant: '', reason, count: 0 }));
    for (const slot of this.all) this.byLabel.set(slot.reason, slot);
  }

  /** Counts one evaluation that answered `result`. */
  count(result: EvaluationResult): void {
    if (result === this.lastResult) {
      this.pending++;
      return;
    }
    this.flush();
    let slot = this.slots.get(result);
    if (slot === undefined) slot = this.first(result);
    slot.count++;
    this.lastResult = result;
    this.lastSlot = slot;
  }

  /** Moves the repeats counted in `pending` into their slot; every reader of `all` calls it first. */
  flush(): void {
    if (this.pending === 0) return;
    this.lastSlot!.count += this.pending;
    this.pending = 0;
  }

  /**
   * The slot `result` counts into, made on first use as `count` makes it: for callers that
   * increment it themselves (the client's fixed answers, counted with no lookup at all).
   */
  slotFor(result: EvaluationResult): CountSlot {
    return this.slots.get(result) ?? this.first(result);
  }

  /** Counts one answer given with no snapshot (the code default). */
  countNotReady(): void {
    this.byLabel.get(NOT_READY_LABEL)!.count++;
  }

  // The first evaluation of a result object: find or make its slot, and remember it when the
  // engine shares the object (every success, TYPE_MISMATCH, compile errors).
  private first(result: EvaluationResult): CountSlot {
    const label = result.reason === 'ERROR' ? `ERROR:${result.errorCode ?? 'GENERAL'}` : result.reason;
    const code = result.errorCode;
    if (code === 'FLAG_NOT_FOUND' || code === 'INVALID_CONTEXT') return this.byLabel.get(label)!;
    let slot: CountSlot | undefined;
    if (result.reason !== 'ERROR' && this.engine?.exposureTracked.has(result.key) === true) {
      slot = { flag: result.key, variant: result.variant ?? '', reason: label, count: 0 };
      this.all.push(slot);
    } else {
      slot = this.byLabel.get(label) ?? this.byLabel.get('ERROR:GENERAL')!;
    }
    this.slots.set(result, slot);
    return slot;
  }
}

/** One series of the totals, with its count since the process started. */
export interface CountTotal {
  readonly environment: string;
  readonly flag: string;
  readonly variant: string;
  readonly reason: ReasonLabel;
  value: number;
}

/**
 * The running totals over every engine a client has served: an engine's counts are folded in
 * when it is swapped out and on every read, so a retired engine is never held for its counts.
 */
export class CountTotals {
  private readonly totals = new Map<string, CountTotal>();

  /** Moves `counts` into the totals (their slots restart at 0). */
  fold(environment: string, counts: EngineCounts): void {
    counts.flush();
    for (const slot of counts.all) {
      if (slot.count === 0) continue;
      const key = `${environment}\0${slot.flag}\0${slot.variant}\0${slot.reason}`;
      let total = this.totals.get(key);
      if (total === undefined) {
        total = { environment, flag: slot.flag, variant: slot.variant, reason: slot.reason, value: 0 };
        this.totals.set(key, total);
      }
      total.value += slot.count;
      slot.count = 0;
    }
  }

  /** Every series counted so far. */
  values(): readonly CountTotal[] {
    return [...this.totals.values()];
  }
}
