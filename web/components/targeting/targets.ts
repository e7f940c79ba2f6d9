/** Individual targets edited as one list of context keys per variant. */
import type { Target } from '@flagship/evaluator';

/** The targets after the keys of `variant` became `keys` (the variant's first entry is kept in place). */
export function setTargetKeys(targets: readonly Target[], variant: string, keys: string[]): Target[] {
  const first = targets.findIndex((t) => t.variant === variant);
  if (first < 0) return keys.length === 0 ? targets.slice() : [...targets, { variant, values: keys }];
  const out: Target[] = [];
  targets.forEach((t, i) => {
    if (t.variant !== variant) out.push(t);
    else if (i === first && keys.length > 0) out.push({ variant, values: keys });
  });
  return out;
}
