/** Reading a condition's attribute from a context. */
import type { EvaluationContext } from '../model/result.ts';

/** Reads one attribute from a context; `undefined` when absent. */
export type AttributeGetter = (context: EvaluationContext) => unknown;

/**
 * Compiles an attribute name into a getter. A name with dots reads a nested object
 * (`user.plan`), unless the context has that exact dotted name as a key of its own.
 */
export function compileAttribute(name: string): AttributeGetter {
  if (!name.includes('.')) return (context) => context[name];
  const path = name.split('.');
  return (context) => {
    const own = context[name];
    if (own !== undefined) return own;
    let value: unknown = context;
    for (let i = 0; i < path.length; i++) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
      value = (value as Record<string, unknown>)[path[i]!];
    }
    return value;
  };
}

/** Only own, enumerable-looking keys count: `constructor` or `__proto__` must not leak in. */
export function ownString(context: EvaluationContext, name: string): string | undefined {
  const v = Object.prototype.hasOwnProperty.call(context, name) ? context[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}
