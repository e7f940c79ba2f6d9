/** Depth-limited, iterative copying of JSON values (the values of `object` flags). */
import type { JsonObject, JsonValue } from '../model/flag.ts';
import { describeType, pathIndex, pathKey } from './problems.ts';
import type { ProblemCollector } from './problems.ts';

/**
 * Deepest nesting an object variant may have (the variant object itself is level 1). SDKs in
 * other languages parse snapshots recursively; a cap keeps a hostile flag from overflowing them.
 */
export const MAX_JSON_DEPTH = 64;

interface Frame {
  src: JsonObject | JsonValue[];
  dst: JsonObject | JsonValue[];
  depth: number;
  path: string;
}

/**
 * A fresh copy of a JSON object, or `undefined` with problems reported: nesting deeper than
 * {@link MAX_JSON_DEPTH} (reported once, at `path`), non-finite numbers and non-JSON values.
 * Iterative with an explicit stack, so a 10,000-deep input cannot overflow the call stack.
 */
export function copyJsonObject(
  root: Record<string, unknown>,
  path: string,
  p: ProblemCollector,
): JsonObject | undefined {
  const before = p.total;
  const out: JsonObject = {};
  const stack: Frame[] = [{ src: root as JsonObject, dst: out, depth: 1, path }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const entries: Array<[string | number, unknown]> = Array.isArray(frame.src)
      ? frame.src.map((v, i) => [i, v])
      : Object.keys(frame.src).map((k) => [k, (frame.src as JsonObject)[k]]);
    for (const [key, value] of entries) {
      if (p.full) return undefined;
      const childPath = typeof key === 'number' ? pathIndex(frame.path, key) : pathKey(frame.path, key);
      let copy: JsonValue;
      if (value === null || typeof value === 'boolean' || typeof value === 'string') {
        copy = value;
      } else if (typeof value === 'number') {
        if (!Number.isFinite(value)) {
          p.add(childPath, `expected a finite number, got ${value}`);
          continue;
        }
        copy = value;
      } else if (typeof value === 'object') {
        if (frame.depth + 1 > MAX_JSON_DEPTH) {
          p.add(path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
          return undefined;
        }
        copy = Array.isArray(value) ? [] : {};
        stack.push({ src: value as JsonObject, dst: copy, depth: frame.depth + 1, path: childPath });
      } else {
        p.add(childPath, `expected a JSON value, got ${describeType(value)}`);
        continue;
      }
      if (Array.isArray(frame.dst)) {
        frame.dst.push(copy);
      } else {
        // defineProperty, not assignment: a `__proto__` key from JSON.parse must stay a plain
        // own field instead of replacing the copy's prototype.
        Object.defineProperty(frame.dst, key, { value: copy, writable: true, enumerable: true, configurable: true });
      }
    }
  }
  return p.total === before ? out : undefined;
}
