/** Split weights (units of 0.001%, out of TOTAL_WEIGHT) as the percentages the editor shows. */
import { TOTAL_WEIGHT, type WeightedVariant } from '@flagship/evaluator';

/** 30 -> 30000; 12.345 -> 12345. NaN for anything that is not a finite number. */
export function percentToWeight(percent: number): number {
  if (!Number.isFinite(percent)) return NaN;
  return Math.round(percent * (TOTAL_WEIGHT / 100));
}

/** 30000 -> 30; 12345 -> 12.345. */
export function weightToPercent(weight: number): number {
  return weight / (TOTAL_WEIGHT / 100);
}

/** The text of a percent input: `"30"`, `"12.345"`, `""` for NaN. */
export function formatPercent(weight: number): string {
  return Number.isFinite(weight) ? String(weightToPercent(weight)) : '';
}

/** A percent input's text as a weight: `"30"` -> 30000, `" 12,5 "` -> 12500, `""` / `"x"` -> NaN. */
export function parsePercent(text: string): number {
  const t = text.trim().replace(',', '.');
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return NaN;
  return percentToWeight(Number(t));
}

/** The split's total in weight units (NaN weights count as 0). */
export function splitTotal(split: readonly WeightedVariant[]): number {
  let sum = 0;
  for (const s of split) sum += Number.isFinite(s.weight) ? s.weight : 0;
  return sum;
}

/** Whether the weights are integers in 0..TOTAL_WEIGHT that add up to exactly 100%. */
export function splitIsComplete(split: readonly WeightedVariant[]): boolean {
  return (
    split.length > 0 &&
    split.every((s) => Number.isInteger(s.weight) && s.weight >= 0 && s.weight <= TOTAL_WEIGHT) &&
    splitTotal(split) === TOTAL_WEIGHT
  );
}

/**
 * A split over `variants` in the given order, as even as whole 0.001% units allow (the first ones
 * get the remainder): 2 variants -> 50/50, 3 -> 33.334/33.333/33.333.
 */
export function evenSplit(variants: readonly string[]): WeightedVariant[] {
  if (variants.length === 0) return [];
  const base = Math.floor(TOTAL_WEIGHT / variants.length);
  let rest = TOTAL_WEIGHT - base * variants.length;
  return variants.map((variant) => {
    const extra = rest > 0 ? 1 : 0;
    rest -= extra;
    return { variant, weight: base + extra };
  });
}
