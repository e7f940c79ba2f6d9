/**
 * The spike's verdicts from the load records (pure, unit-tested): the offered rate of each
 * phase, the admitted p99, and how long after the spike's end latency came back to the
 * baseline's. Latency is "back" from the first 250 ms step after which every later one-second
 * window of admitted answers has a p99 within max(2x, +5 ms) of the baseline's p99 and sheds at
 * most 1% of its requests (a shared machine's CPU contention sheds the odd request at any rate); the first 5 s of the baseline (connections opening, code warming) are left out of the
 * baseline's own p99.
 */
import { latencies, type LoadRecords, percentile } from './load-records.ts';

export interface SpikePhases {
  /** Seconds since the start: baseline [0, spikeStart), spike [spikeStart, spikeEnd), baseline [spikeEnd, end). */
  spikeStart: number;
  spikeEnd: number;
  end: number;
}

export interface SpikeVerdict {
  baseline_rps: number;
  spike_rps: number;
  /** 200s per second during the spike: what the evaluator admitted. */
  spike_admitted_rps: number;
  baseline_p99_ms: number;
  /** The baseline's worst one-second admitted p99 (after its first 5 s): what "back to baseline" means. */
  baseline_worst_second_p99_ms: number;
  admitted_p99_ms: number;
  /** Seconds from the spike's end until latency is back to the baseline's; -1: never within the run. */
  recovery_s: number;
}

const WARM_UP_S = 5;
const WINDOW_S = 1;
const STEP_S = 0.25;
const MIN_SHED_SHARE = 0.01;
const HOLD_S = 3;

function countWhere(r: LoadRecords, from: number, to: number, keep: (i: number) => boolean = () => true): number {
  let n = 0;
  for (let i = 0; i < r.count; i++) {
    const t = r.at[i]!;
    if (t >= from && t < to && keep(i)) n++;
  }
  return n;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function analyseSpike(r: LoadRecords, p: SpikePhases): SpikeVerdict {
  const admitted = (i: number) => r.status[i] === 200;
  const inRange = (from: number, to: number) => (i: number) => r.at[i]! >= from && r.at[i]! < to;
  const base = inRange(Math.min(WARM_UP_S, p.spikeStart / 2), p.spikeStart);
  const baselineP99 = percentile(
    latencies(r, (i) => admitted(i) && base(i)),
    99,
  );
  const windowOf = (t: number) => {
    const w = inRange(t, t + WINDOW_S);
    const shed =
      countWhere(r, t, t + WINDOW_S, (i) => r.status[i] === 429) / Math.max(1, countWhere(r, t, t + WINDOW_S));
    return {
      p99: percentile(
        latencies(r, (i) => admitted(i) && w(i)),
        99,
      ),
      shed,
    };
  };
  let worstP99 = 0;
  let worstShed = MIN_SHED_SHARE;
  for (let t = Math.min(WARM_UP_S, p.spikeStart / 2); t + WINDOW_S <= p.spikeStart + 1e-9; t += STEP_S) {
    const w = windowOf(t);
    if (w.p99 > worstP99) worstP99 = w.p99;
    if (w.shed > worstShed) worstShed = w.shed;
  }
  // Windows after the spike: good when no worse than the baseline's worst window.
  const starts: number[] = [];
  for (let t = p.spikeEnd; t + WINDOW_S <= p.end + 1e-9; t += STEP_S) starts.push(t);
  const good = starts.map((t) => {
    const w = windowOf(t);
    return !Number.isNaN(w.p99) && w.p99 <= worstP99 && w.shed <= worstShed;
  });
  const hold = Math.round(HOLD_S / STEP_S);
  let recovery = -1;
  for (let k = 0; k + hold < good.length; k++) {
    if (good.slice(k, k + hold + 1).every(Boolean)) {
      recovery = starts[k]! - p.spikeEnd;
      break;
    }
  }
  return {
    baseline_rps: Math.round(countWhere(r, 0, p.spikeStart) / p.spikeStart),
    spike_rps: Math.round(countWhere(r, p.spikeStart, p.spikeEnd) / (p.spikeEnd - p.spikeStart)),
    spike_admitted_rps: Math.round(countWhere(r, p.spikeStart, p.spikeEnd, admitted) / (p.spikeEnd - p.spikeStart)),
    baseline_p99_ms: round2(baselineP99),
    baseline_worst_second_p99_ms: round2(worstP99),
    admitted_p99_ms: round2(percentile(latencies(r, admitted), 99)),
    recovery_s: round2(recovery),
  };
}

/** Per second of the run: requests sent, admitted, shed, and the admitted p99 (ms) — the run's shape. */
export function perSecond(
  r: LoadRecords,
  seconds: number,
): { t: number; sent: number; ok: number; shed: number; p99: number }[] {
  const out = [];
  for (let t = 0; t < Math.ceil(seconds); t++) {
    const w = (i: number) => r.at[i]! >= t && r.at[i]! < t + 1;
    out.push({
      t,
      sent: countWhere(r, t, t + 1),
      ok: countWhere(r, t, t + 1, (i) => r.status[i] === 200),
      shed: countWhere(r, t, t + 1, (i) => r.status[i] === 429),
      p99: round2(
        percentile(
          latencies(r, (i) => r.status[i] === 200 && w(i)),
          99,
        ),
      ),
    });
  }
  return out;
}
