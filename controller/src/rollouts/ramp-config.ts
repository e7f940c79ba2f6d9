/** How a rollout's weight shows up in the flag's config: the default rule, treatment listed first. */
import { TOTAL_WEIGHT, type FlagConfig, type Serve } from '@flagship/evaluator';

/** Percent (0..100, up to 3 decimals) to the engine's units of 0.001%. */
export const percentToUnits = (percent: number): number => Math.round(percent * 1000);

/**
 * The default rule serving `weightUnits` of the treatment. Treatment is listed first so buckets
 * are taken from the control's end as the weight rises: the ramp is monotone (docs/evaluation.md).
 * Targets and rules keep precedence: a rollout only moves the fallthrough.
 */
export function rampServe(treatment: string, control: string, weightUnits: number): Serve {
  if (weightUnits >= TOTAL_WEIGHT) return { variant: treatment };
  if (weightUnits <= 0) return { variant: control };
  return {
    split: [
      { variant: treatment, weight: weightUnits },
      { variant: control, weight: TOTAL_WEIGHT - weightUnits },
    ],
  };
}

/** The config with its default rule set to the ramp; everything else is kept. */
export function withRamp(config: FlagConfig, treatment: string, control: string, weightUnits: number): FlagConfig {
  return { ...config, defaultRule: rampServe(treatment, control, weightUnits) };
}
