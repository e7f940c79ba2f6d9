/**
 * Readers for the fields of untrusted JSON objects. Each reports what is wrong to the collector
 * and returns the clean value, or `undefined` when there is none to return.
 */
import { describeType, pathIndex, pathKey, quote } from './problems.ts';
import type { ProblemCollector } from './problems.ts';
import { didYouMean } from './suggest.ts';

/** A JSON object as it comes from `JSON.parse`: not null, not an array. */
export type JsonRecord = Record<string, unknown>;

/** Flag, variant, segment and environment keys: safe in URLs, paths, metric labels and logs. */
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True for a JSON object (not null, not an array). */
export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The value of an own property. Plain `o[k]` would read `Object.prototype` members such as
 * `constructor` for keys the input never had.
 */
export function own(o: JsonRecord, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** The object at `path`, or a problem saying what it was instead. */
export function expectRecord(v: unknown, path: string, p: ProblemCollector): JsonRecord | undefined {
  if (isRecord(v)) return v;
  p.add(path, `expected object, got ${describeType(v)}`);
  return undefined;
}

/** Reports every field of `o` not in `known` as `field: unknown field`. */
export function checkUnknownFields(o: JsonRecord, path: string, known: ReadonlySet<string>, p: ProblemCollector): void {
  for (const k of Object.keys(o)) {
    if (p.full) return;
    if (!known.has(k)) p.add(pathKey(path, k), `unknown field${didYouMean(k, known)}`);
  }
}

/** Reports a required field the object lacks; true when it is present. */
export function requirePresent(o: JsonRecord, field: string, path: string, p: ProblemCollector): boolean {
  if (Object.hasOwn(o, field)) return true;
  p.add(pathKey(path, field), 'required field is missing');
  return false;
}

/** Reports a value that is not a key; returns the key when it is one. */
export function checkKey(v: unknown, path: string, p: ProblemCollector, what = 'key'): string | undefined {
  if (typeof v !== 'string') {
    p.add(path, `expected string, got ${describeType(v)}`);
    return undefined;
  }
  if (!KEY_PATTERN.test(v)) {
    p.add(
      path,
      `invalid ${what} ${quote(v)}: use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
    return undefined;
  }
  return v;
}

/** Options for {@link checkString}. */
export interface StringRules {
  /** Reject `''`. */
  nonEmpty?: boolean;
  /** Longest allowed length, in UTF-16 code units (what `String.length` counts). */
  max?: number;
}

/** Reports a value that is not a string within the rules; returns it when it is one. */
export function checkString(
  v: unknown,
  path: string,
  p: ProblemCollector,
  rules: StringRules = {},
): string | undefined {
  if (typeof v !== 'string') {
    p.add(path, `expected string, got ${describeType(v)}`);
    return undefined;
  }
  if (rules.nonEmpty && v.length === 0) {
    p.add(path, 'must not be empty');
    return undefined;
  }
  if (rules.max !== undefined && v.length > rules.max) {
    p.add(path, `too long (${v.length} characters, at most ${rules.max})`);
    return undefined;
  }
  return v;
}

/** Reports a value that is not an integer in `[min, max]`; returns it when it is one. */
export function checkInteger(
  v: unknown,
  path: string,
  p: ProblemCollector,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    p.add(path, `expected integer, got ${describeType(v)}`);
    return undefined;
  }
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    p.add(path, `expected an integer ${range}, got ${v}`);
    return undefined;
  }
  return v;
}

/** Reports a value that is not a boolean; returns it when it is one. */
export function checkBoolean(v: unknown, path: string, p: ProblemCollector): boolean | undefined {
  if (typeof v === 'boolean') return v;
  p.add(path, `expected boolean, got ${describeType(v)}`);
  return undefined;
}

/** Reports a value that is not an array of at most `max` entries; returns it when it is one. */
export function checkArray(v: unknown, path: string, p: ProblemCollector, max: number, min = 0): unknown[] | undefined {
  if (!Array.isArray(v)) {
    p.add(path, `expected array, got ${describeType(v)}`);
    return undefined;
  }
  if (v.length > max || v.length < min) {
    const range = min === 0 ? `at most ${max}` : `${min} to ${max}`;
    p.add(path, `expected ${range} entries, got ${v.length}`);
    return undefined;
  }
  return v as unknown[];
}

/**
 * A list of non-empty strings with no duplicates (context keys): reports each bad or repeated
 * entry. `seen` maps each key to where it was first seen, so a caller can check several lists
 * against each other; `where(i)` names entry `i` in later duplicate messages.
 */
export function checkKeyList(
  list: unknown[],
  path: string,
  p: ProblemCollector,
  seen: Map<string, string>,
  where: (index: number) => string,
): string[] | undefined {
  const out: string[] = [];
  const before = p.total;
  for (let i = 0; i < list.length; i++) {
    if (p.full) break;
    const v = list[i];
    if (typeof v !== 'string') {
      p.add(pathIndex(path, i), `expected string, got ${describeType(v)}`);
      continue;
    }
    if (v.length === 0) {
      p.add(pathIndex(path, i), 'must not be empty');
      continue;
    }
    const first = seen.get(v);
    if (first !== undefined) {
      p.add(pathIndex(path, i), `duplicate key ${quote(v)} (already in ${first})`);
      continue;
    }
    seen.set(v, where(i));
    out.push(v);
  }
  return p.total === before ? out : undefined;
}
