/**
 * Sample-ratio mismatch: when the exposures per arm do not match the weights the flag serves,
 * the comparison is untrustworthy (bucketing bug, caching, a crash in one arm) whatever it says.
 */

export interface SampleRatioResult {
  chiSquare: number;
  pValue: number;
  expectedTreatmentShare: number;
  observedTreatmentShare: number;
  mismatch: boolean;
}

/**
 * Chi-square goodness-of-fit (1 degree of freedom) of the observed treatment/control counts to
 * the expected treatment share. `mismatch` when p < threshold (0.001 is the usual choice: SRM
 * checks run every tick, so they must be strict to avoid crying wolf).
 */
export function sampleRatioMismatch(
  treatment: number,
  control: number,
  expectedTreatmentShare: number,
  threshold = 0.001,
): SampleRatioResult {
  const total = treatment + control;
  const observedTreatmentShare = total > 0 ? treatment / total : 0;
  if (total <= 0 || expectedTreatmentShare <= 0 || expectedTreatmentShare >= 1) {
    return { chiSquare: 0, pValue: 1, expectedTreatmentShare, observedTreatmentShare, mismatch: false };
  }
  const et = total * expectedTreatmentShare;
  const ec = total - et;
  const chiSquare = (treatment - et) ** 2 / et + (control - ec) ** 2 / ec;
  const pValue = erfc(Math.sqrt(chiSquare / 2));
  return { chiSquare, pValue, expectedTreatmentShare, observedTreatmentShare, mismatch: pValue < threshold };
}

/** Complementary error function (Numerical Recipes' erfcc; fractional error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
