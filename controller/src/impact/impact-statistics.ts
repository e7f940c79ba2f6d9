/**
 * Per-point arithmetic of the impact answer: exposure shares, a ratio's value, and the
 * treatment - control difference of a ratio with its confidence interval, from the rollouts'
 * sequential test (read-only import) so that the impact page and a rollout's verdict agree on
 * what "different" means. Missing data stays null everywhere: never 0.
 */
import { compareProportions } from '../rollouts/analysis/sequential-test.ts';

/**
 * Each side of the interval holds with this probability of error (two-sided 95 %). The bound is
 * the confidence sequence tuned to the point's own sample size (`plannedSamples` = both arms'
 * denominators), valid however many points a reader looks at.
 */
export const DIFFERENCE_ALPHA = 0.025;

export type Series = (number | null)[];

/** Each variant's share of the point's exposures; null when the point has none. */
export function sharesOf(counts: Record<string, Series>, points: number): Record<string, Series> {
  const totals: Series = Array.from({ length: points }, (_, i) => {
    let sum: number | null = null;
    for (const c of Object.values(counts)) {
      const v = c[i];
      if (v !== null && v !== undefined) sum = (sum ?? 0) + v;
    }
    return sum;
  });
  return Object.fromEntries(
    Object.entries(counts).map(([variant, c]) => [
      variant,
      c.map((v, i) => (v === null || totals[i] === null || totals[i] === 0 ? null : v / totals[i]!)),
    ]),
  );
}

/** numerator / denominator per point; null without both, or with no denominator. */
export const ratioOf = (num: Series, den: Series): Series =>
  num.map((n, i) => {
    const d = den[i];
    return n === null || d === null || d === undefined || d <= 0 ? null : n / d;
  });

export interface Difference {
  estimate: Series;
  lower: Series;
  upper: Series;
}

/**
 * Treatment ratio minus control ratio per point, with the interval. The interval is a
 * proportion's: where a numerator exceeds its denominator (a rate that is not a proportion,
 * such as revenue per exposure) or is negative, the estimate stands without bounds (null).
 */
export function differenceOf(t: { num: Series; den: Series }, c: { num: Series; den: Series }): Difference {
  const d: Difference = { estimate: [], lower: [], upper: [] };
  for (let i = 0; i < t.num.length; i++) {
    const [tn, td, cn, cd] = [t.num[i], t.den[i], c.num[i], c.den[i]];
    if (tn == null || td == null || cn == null || cd == null || td <= 0 || cd <= 0) {
      d.estimate.push(null);
      d.lower.push(null);
      d.upper.push(null);
      continue;
    }
    d.estimate.push(tn / td - cn / cd);
    const proportions = tn >= 0 && cn >= 0 && tn <= td && cn <= cd;
    if (!proportions) {
      d.lower.push(null);
      d.upper.push(null);
      continue;
    }
    const r = compareProportions(
      { errors: tn, total: td },
      { errors: cn, total: cd },
      { alpha: DIFFERENCE_ALPHA, maxIncrease: 0, plannedSamples: td + cd },
    );
    const finite = Number.isFinite(r.radius);
    d.lower.push(finite ? r.difference - r.radius : null);
    d.upper.push(finite ? r.difference + r.radius : null);
  }
  return d;
}
