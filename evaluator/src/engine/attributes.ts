/** Reading a condition's attribute from a context. */
import type { EvaluationContext } from '../model/result.ts';

/** Reads one attribute from a context; `undefined` when absent. */
export type AttributeGetter = (context: EvaluationContext) => unknown;

/**
 * Compiles an attribute name into a getter. A name with dots reads a nested object
 * (`user.plan`), unless the context has that exact dotted name as a key of its own.
 */
export function compileAttribute(name: string): AttributeGetter {
  // Names that Object.prototype has (`constructor`, `toString`, `__proto__`) must not read the
  // prototype; every other name is a plain property read, the fast path.
  if (!name.includes('.'))
    return name in Object.prototype ? (context) => ownValue(context, name) : (context) => context[name];
  const path = name.split('.');
  return (context) => {
    const own = ownValue(context, name);
    if (own !== undefined) return own;
    let value: unknown = context;
    for (let i = 0; i < path.length; i++) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
      value = ownValue(value as Record<string, unknown>, path[i]!);
    }
    return value;
  };
}

function ownValue(object: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, name) ? object[name] : undefined;
}
