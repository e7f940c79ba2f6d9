/** Compiles segments into membership predicates. */
import type { Segment } from '../model/flag.ts';
import { compileCondition, type Predicate } from './operators.ts';

/**
 * A context is in a segment when its targetingKey is not excluded and is either included or
 * matches any of the segment's rules (an AND of conditions each). Exclusion wins.
 */
export function compileSegment(segment: Segment): Predicate {
  const excluded = new Set(segment.excluded);
  const included = new Set(segment.included);
  // Segments may not reference segments (validation rejects it); here such a condition never holds.
  const rules = segment.rules.map((r) => r.conditions.map((c) => compileCondition(c, () => undefined)));
  return (context) => {
    // A plain read is safe: `targetingKey` is not a name Object.prototype has.
    const key = context.targetingKey;
    if (typeof key === 'string') {
      if (excluded.has(key)) return false;
      if (included.has(key)) return true;
    }
    for (let r = 0; r < rules.length; r++) {
      const conditions = rules[r]!;
      let all = true;
      for (let c = 0; c < conditions.length; c++)
        if (!conditions[c]!(context)) {
          all = false;
          break;
        }
      if (all) return true;
    }
    return false;
  };
}
