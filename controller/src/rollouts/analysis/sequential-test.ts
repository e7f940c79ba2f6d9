/**
 * An always-valid, one-sided test of "the treatment's error proportion exceeds the control's by
 * more than a margin", for data that is looked at again every analysis interval.
 *
 * A fixed-sample z-test checked every tick inflates false alarms with every look. A confidence
 * sequence (Waudby-Smith et al., "Time-uniform central limit theory", 2021; the normal-mixture
 * boundary of Howard et al. 2021) holds its coverage uniformly over time, so a rollout may peek
 * after every tick and still raise a false alarm with probability at most alpha. This is the kind
 * of test GrowthBook's safe rollouts and LaunchDarkly's guarded rollouts use.
 */

/** Counts for one arm: errors (or any "bad" events) out of the total. */
export interface ArmCounts {
  errors: number;
  total: number;
}

export interface SequentialTestOptions {
  /** Allowed false-alarm probability over the whole sequence of looks. */
  alpha: number;
  /** Degradation tolerated before failing: fail only if p_t - p_c > maxIncrease with confidence. */
  maxIncrease: number;
  /** Total samples (both arms) the boundary is tightest at; it stays valid before and after. */
  plannedSamples: number;
}

export interface SequentialTestResult {
  /** p_t - p_c as observed. */
  difference: number;
  /** Lower end of the one-sided confidence sequence for p_t - p_c. */
  lowerBound: number;
  /** Half-width of the sequence at this sample size. */
  radius: number;
  treatmentRate: number;
  controlRate: number;
  /** 'fail': degraded beyond the margin with confidence; 'pass': not (yet) shown degraded. */
  verdict: 'pass' | 'fail';
}

/**
 * The normal-mixture boundary's mixing parameter rho², tuned so the sequence is tightest after
 * `plannedSamples` observations (Howard et al., eq. for the optimal rho).
 */
export function mixingRho2(alpha: number, plannedSamples: number): number {
  const l = -2 * Math.log(alpha);
  return (l + Math.log(l + 1)) / Math.max(1, plannedSamples);
}

/**
 * Radius of the one-sided asymptotic confidence sequence for a mean after n observations with
 * per-observation variance sigma2 (rho² dimensionless, from {@link mixingRho2}):
 * sigma · sqrt( 2 (n rho² + 1) / (n² rho²) · ln( sqrt(n rho² + 1) / alpha ) ).
 */
export function confidenceSequenceRadius(n: number, sigma2: number, alpha: number, rho2: number): number {
  if (n <= 0) return Infinity;
  const a = n * rho2 + 1;
  return Math.sqrt(sigma2) * Math.sqrt(((2 * a) / (n * n * rho2)) * Math.log(Math.sqrt(a) / alpha));
}

/**
 * Compares treatment against control. Variances use the add-a-half estimate (e + 0.5) / (n + 1),
 * so an arm with no errors yet still has a variance and one early error cannot look certain.
 */
export function compareProportions(
  treatment: ArmCounts,
  control: ArmCounts,
  options: SequentialTestOptions,
): SequentialTestResult {
  const pt = treatment.total > 0 ? treatment.errors / treatment.total : 0;
  const pc = control.total > 0 ? control.errors / control.total : 0;
  const difference = pt - pc;
  if (treatment.total <= 0 || control.total <= 0) {
    return { difference, lowerBound: -Infinity, radius: Infinity, treatmentRate: pt, controlRate: pc, verdict: 'pass' };
  }
  const st = (treatment.errors + 0.5) / (treatment.total + 1);
  const sc = (control.errors + 0.5) / (control.total + 1);
  // Variance of the difference of means; expressed per observation over n = both arms' samples.
  const variance = (st * (1 - st)) / treatment.total + (sc * (1 - sc)) / control.total;
  const n = treatment.total + control.total;
  const sigma2 = variance * n;
  const radius = confidenceSequenceRadius(n, sigma2, options.alpha, mixingRho2(options.alpha, options.plannedSamples));
  const lowerBound = difference - radius;
  return {
    difference,
    lowerBound,
    radius,
    treatmentRate: pt,
    controlRate: pc,
    verdict: lowerBound > options.maxIncrease ? 'fail' : 'pass',
  };
}
