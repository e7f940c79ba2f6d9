/**
 * "What it serves" in a few words, for one flag in one environment of the flags list: pure, so the
 * list's cells and their unit tests agree. Weights are out of TOTAL_WEIGHT (100,000 = 100%).
 */
import { type FlagConfig, type Serve, TOTAL_WEIGHT, type WeightedVariant } from '@flagship/evaluator';

/** The fields of a rollout (GET /rollouts) the list shows. */
export interface RolloutBrief {
  environment: string;
  flag: string;
  status: string;
  weightPercent: number;
  treatment: string;
}

/** Rollout statuses the list shows as "rolling out". */
export const ACTIVE_ROLLOUT_STATUSES = ['running', 'awaiting-approval', 'paused'] as const;

/** A weight as a percentage: at most three decimals, no trailing zeros (33.333, 30, 0.5). */
export function percentOf(weight: number): string {
  return `${Number(((weight / TOTAL_WEIGHT) * 100).toFixed(3))}%`;
}

/** `30% on / 70% off`; slices of weight 0 are left out. */
export function splitText(split: readonly WeightedVariant[]): string {
  const shown = split.filter((s) => s.weight > 0);
  if (shown.length === 0) return 'an empty split';
  return shown.map((s) => `${percentOf(s.weight)} ${s.variant}`).join(' / ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The context keys targeted individually, over all target entries. */
function targetCount(config: FlagConfig): number {
  return config.targets.reduce((n, t) => n + t.values.length, 0);
}

function serveText(serve: Serve): { split: boolean; text: string } {
  if ('split' in serve) {
    const live = serve.split.filter((s) => s.weight > 0);
    // A "split" that gives everything to one variant serves that variant.
    if (live.length === 1) return { split: false, text: live[0]!.variant };
    return { split: true, text: splitText(serve.split) };
  }
  return { split: false, text: serve.variant };
}

function rolloutText(r: RolloutBrief): string {
  const pct = `${Number(r.weightPercent.toFixed(3))}%`;
  if (r.status === 'paused') return `rolling out: ${pct} (paused)`;
  if (r.status === 'awaiting-approval') return `rolling out: ${pct} (awaiting approval)`;
  return `rolling out: ${pct}`;
}

/**
 * The summary of a config:
 * - off: `off (serves <offVariant>)`;
 * - nothing but a default variant: `on for everyone: <variant>`;
 * - nothing but a default split: `30% on / 70% off`;
 * - with prerequisites, targets or rules, those counted first: `2 rules + 30% on / 70% off`,
 *   `3 targets + 1 rule + else off`;
 * - a rollout in progress replaces the default: `rolling out: 20%` (`2 rules + rolling out: 20%`).
 */
export function summarize(config: FlagConfig, rollout?: RolloutBrief): string {
  if (!config.enabled) return `off (serves ${config.offVariant})`;
  const parts: string[] = [];
  if (config.prerequisites.length > 0) parts.push(plural(config.prerequisites.length, 'prerequisite'));
  const targets = targetCount(config);
  if (targets > 0) parts.push(plural(targets, 'target'));
  if (config.rules.length > 0) parts.push(plural(config.rules.length, 'rule'));
  if (rollout) return [...parts, rolloutText(rollout)].join(' + ');
  const d = serveText(config.defaultRule);
  if (parts.length === 0) return d.split ? d.text : `on for everyone: ${d.text}`;
  return [...parts, d.split ? d.text : `else ${d.text}`].join(' + ');
}
