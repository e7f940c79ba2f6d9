/**
 * A rollout's verdict in one sentence, built only from what the controller stored: the deciding
 * tick's per-metric evidence (values, thresholds, the sequential test's bound), its SRM result,
 * and the timeline's transitions. Never free text typed by a person, except a person's own
 * reason quoted as theirs. Pure, so the unit test feeds it recorded evidence shapes.
 */
import type { MetricEvidence, RolloutDetail, RolloutStatus, RolloutView, TickView } from './rollout-types.ts';

/** "14:02:10 UTC" of an ISO time. */
export function clock(iso: string): string {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} UTC` : iso;
}

/** A ratio-like number (0..1 with a threshold at most 1) as a percent, anything else as a number. */
function shown(v: number, ratio: boolean): string {
  if (ratio) return `${trim((v * 100).toFixed(v * 100 >= 10 ? 1 : 2))}%`;
  return trim(Number.isInteger(v) ? String(v) : v.toPrecision(4));
}

const trim = (s: string) => (s.includes('.') && !s.includes('e') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

/** A difference of proportions in percentage points, signed: "+3.9 points". */
export function points(v: number): string {
  const p = v * 100;
  const s = trim(Math.abs(p) >= 10 ? p.toFixed(1) : Math.abs(p) >= 1 ? p.toFixed(1) : p.toFixed(2));
  return `${p >= 0 ? '+' : ''}${s} point${Math.abs(p) === 1 ? '' : 's'}`;
}

const isRatio = (m: MetricEvidence) => {
  const t = m.threshold;
  const bounds = [t.max, t.min].filter((x): x is number => typeof x === 'number');
  return (
    bounds.length > 0 && bounds.every((b) => b >= 0 && b <= 1) && (m.value === undefined || Math.abs(m.value) <= 1)
  );
};

/** What a failing (or any judged) metric said, in words with its numbers. */
export function metricClause(m: MetricEvidence, all: MetricEvidence[]): string {
  if (m.kind === 'threshold' && m.value !== undefined) {
    const ratio = isRatio(m);
    // The control's rate, when a comparison of the same tick measured it.
    const control = all.find((x) => x.kind === 'comparison' && x.statistic)?.statistic?.controlRate;
    const controlText = control !== undefined && ratio ? ` (control ${shown(control, true)})` : '';
    if (m.threshold.max !== undefined && m.value > m.threshold.max)
      return `treatment ${m.name} ${shown(m.value, ratio)} exceeded the ${shown(m.threshold.max, ratio)} guard${controlText}`;
    if (m.threshold.min !== undefined && m.value < m.threshold.min)
      return `treatment ${m.name} ${shown(m.value, ratio)} fell below the ${shown(m.threshold.min, ratio)} guard${controlText}`;
    return `treatment ${m.name} ${shown(m.value, ratio)} was within its guard${controlText}`;
  }
  if (m.kind === 'comparison' && m.statistic) {
    const s = m.statistic;
    const allowed = m.threshold.maxIncrease ?? 0;
    const rates = `treatment ${shown(s.treatmentRate, true)} vs control ${shown(s.controlRate, true)}`;
    if (s.lowerBound === null) return `${m.name}: ${rates}, no bound yet`;
    const above = s.lowerBound > allowed;
    return `${m.name}: ${rates}; the sequential test's lower bound of the difference, ${points(s.lowerBound)}, was ${above ? 'above' : 'not above'} ${allowed === 0 ? '0' : `the allowed ${points(allowed)}`}`;
  }
  return `${m.name}: ${m.detail}`;
}

/** Ticks oldest first (the API sends newest first). */
export const chronological = (ticks: TickView[]) => [...ticks].sort((a, b) => a.seq - b.seq);

/** The metrics of a tick that count (dry-run ones never move a rollout). */
const live = (t: TickView) => (t.evidence?.metrics ?? []).filter((m) => !m.dryRun);

/** Why a tick decided what it did, from its evidence; falls back to the controller's own reason. */
export function tickCause(t: TickView): string {
  const metrics = t.evidence?.metrics ?? [];
  const failed = live(t).filter((m) => m.verdict === 'fail');
  if ((t.decision === 'rollback' || t.decision === 'pause') && failed.length > 0) {
    const lead = failed.map((m) => metricClause(m, metrics));
    // The comparison that supports a threshold breach (same tick) is part of the evidence.
    const support = metrics.find(
      (m) => m.kind === 'comparison' && !failed.includes(m) && m.statistic && m.statistic.lowerBound !== null,
    );
    if (failed.every((m) => m.kind === 'threshold') && support?.statistic && support.statistic.lowerBound! > 0)
      lead.push(
        `the sequential test's lower bound of the difference, ${points(support.statistic.lowerBound!)}, was above 0`,
      );
    return lead.join('; ');
  }
  const srm = t.evidence?.srm;
  if ((t.decision === 'rollback' || t.decision === 'pause') && srm?.mismatch)
    return `sample-ratio mismatch: treatment got ${shown(srm.observedTreatmentShare, true)} of exposures, expected ${shown(srm.expectedTreatmentShare, true)} (p=${srm.pValue.toExponential(2)})`;
  return t.reason;
}

const lastOf = <T>(xs: T[], p: (x: T) => boolean): T | undefined => [...xs].reverse().find(p);

/** The rollout's verdict in one sentence. */
export function verdictSentence(r: RolloutDetail): string {
  const ticks = chronological(r.ticks);
  const event = (kind: string) => lastOf(r.timeline, (e) => e.kind === kind);
  const by = (actor: string, reason: string | null) =>
    actor === 'rollout-controller' ? '' : ` by ${actor}${reason ? ` (“${reason}”)` : ''}`;
  switch (r.status) {
    case 'rolled-back': {
      const tick = lastOf(ticks, (t) => t.decision === 'rollback');
      const e = event('rolled-back');
      if (tick) return `Rolled back at ${clock(tick.at)} by tick ${tick.seq}: ${tickCause(tick)}.`;
      return `Rolled back${e ? ` at ${clock(e.at)}${by(e.actor, null)}` : ''}: ${e?.reason ?? r.lastReason ?? 'no reason recorded'}.`;
    }
    case 'aborted': {
      const e = event('aborted');
      return `Aborted${e ? ` at ${clock(e.at)}${by(e.actor, e.reason)}` : ''} at step ${e ? e.stepIndex + 1 : r.step} of ${r.steps}; everyone is back on ${r.control}.`;
    }
    case 'completed': {
      const e = event('completed');
      return `Completed${e ? ` at ${clock(e.at)}` : ''}: ${r.treatment} serves 100% after ${r.steps} steps and ${ticks.length} ticks${e?.reason ? ` (${e.reason})` : ''}.`;
    }
    case 'paused': {
      const e = event('paused');
      const tick = lastOf(ticks, (t) => t.decision === 'pause');
      if (e && e.actor === 'rollout-controller' && tick && Math.abs(Date.parse(tick.at) - Date.parse(e.at)) < 5_000)
        return `Paused at ${clock(e.at)} by tick ${tick.seq} at ${r.weightPercent}%: ${tickCause(tick)}.`;
      return `Paused${e ? ` at ${clock(e.at)}${by(e.actor, e.actor === 'rollout-controller' ? null : e.reason)}` : ''} at step ${r.step} of ${r.steps} (${r.weightPercent}%)${e?.actor === 'rollout-controller' && e.reason ? `: ${e.reason}` : ''}.`;
    }
    case 'awaiting-approval':
      return `Awaiting approval at step ${r.step} of ${r.steps} (${r.weightPercent}%): ${r.lastReason ?? 'the step is healthy'}.`;
    case 'running': {
      const t = ticks.at(-1);
      return t
        ? `Running at step ${r.step} of ${r.steps} (${r.weightPercent}%); tick ${t.seq} at ${clock(t.at)} decided ${t.decision}: ${t.reason}.`
        : `Running at step ${r.step} of ${r.steps} (${r.weightPercent}%); no tick yet (the first is due at ${clock(r.nextTickAt)}).`;
    }
  }
}

/** The list's status chip: "running at 25%", "awaiting approval", "rolled back". */
export function statusLabel(r: Pick<RolloutView, 'status' | 'weightPercent'>): string {
  if (r.status === 'running') return `running at ${r.weightPercent}%`;
  return r.status.replace('-', ' ');
}

export const STATUS_CLASS: Record<RolloutStatus, string> = {
  running: 'badge on',
  'awaiting-approval': 'badge warn',
  paused: 'badge warn',
  'rolled-back': 'badge danger',
  aborted: 'badge danger',
  completed: 'badge on',
};

export interface RollbackFacts {
  /** The first tick where a live metric failed (or the SRM check did), if any. */
  firstFailure?: { at: string; seq: number; metric: string };
  /** When the treatment went back to 0% (rolled back), or when it paused. */
  endedAt?: string;
  /** endedAt - firstFailure.at, ms. */
  firstFailureToEndMs?: number;
}

/** For the rollback review: the first failing metric and how long the revert took from it. */
export function rollbackFacts(r: RolloutDetail): RollbackFacts {
  const ticks = chronological(r.ticks);
  const out: RollbackFacts = {};
  // Since the current run began: a retry starts counting afresh.
  const retried = lastOf(r.timeline, (e) => e.kind === 'retried' || e.kind === 'started');
  const since = retried ? Date.parse(retried.at) : 0;
  for (const t of ticks) {
    if (Date.parse(t.at) < since) continue;
    const failed = live(t).find((m) => m.verdict === 'fail');
    if (failed) {
      out.firstFailure = { at: t.at, seq: t.seq, metric: failed.name };
      break;
    }
    if (t.evidence?.srm?.mismatch) {
      out.firstFailure = { at: t.at, seq: t.seq, metric: 'sample ratio' };
      break;
    }
  }
  const end = lastOf(r.timeline, (e) => e.kind === (r.status === 'paused' ? 'paused' : 'rolled-back'));
  if (end) out.endedAt = end.at;
  if (out.firstFailure && out.endedAt)
    out.firstFailureToEndMs = Math.max(0, Date.parse(out.endedAt) - Date.parse(out.firstFailure.at));
  return out;
}

/** "42 s", "3 min 5 s". */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}
