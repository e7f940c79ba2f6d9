/**
 * Compiles one condition into a predicate. Every predicate is total: a missing attribute or a
 * value of the wrong type makes the condition false (for negative operators too), never throws.
 */
import type { Condition } from '../model/flag.ts';
import type { EvaluationContext } from '../model/result.ts';
import { compareSemver, parseSemver } from './runtime/semver.ts';
import { parseDateValue } from './runtime/date-value.ts';
import { compileAttribute } from './attributes.ts';
import { compileRegex } from './runtime/regex.ts';

/** A compiled condition. */
export type Predicate = (context: EvaluationContext) => boolean;

/** Segment membership, resolved by the snapshot compiler. */
export type SegmentLookup = (segmentKey: string) => Predicate | undefined;

type ValueTest = (value: unknown) => boolean;

const NEVER: Predicate = () => false;
// An array attribute matches a positive operator when any element does (e.g. `groups`).
const MAX_ARRAY_ELEMENTS = 100;

/** Compiles a condition; a condition that cannot be compiled (bad regex, unknown op) never holds. */
export function compileCondition(condition: Condition, segments: SegmentLookup): Predicate {
  const { op, values } = condition;
  if (op === 'inSegment' || op === 'notInSegment') {
    const members = values.map((v) => segments(String(v))).filter((p): p is Predicate => p !== undefined);
    const inAny: Predicate = (ctx) => {
      for (let i = 0; i < members.length; i++) if (members[i]!(ctx)) return true;
      return false;
    };
    return op === 'inSegment' ? inAny : (ctx) => !inAny(ctx);
  }
  const get = compileAttribute(condition.attribute);
  if (op === 'notIn') {
    const set = new Set<unknown>(values);
    return (ctx) => {
      const v = get(ctx);
      if (v === undefined || v === null) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length && i < MAX_ARRAY_ELEMENTS; i++) if (set.has(normalizeScalar(v[i]))) return false;
        return true;
      }
      return !set.has(normalizeScalar(v));
    };
  }
  const test = compileValueTest(condition);
  if (test === undefined) return NEVER;
  return (ctx) => {
    const v = get(ctx);
    if (v === undefined || v === null) return false;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && i < MAX_ARRAY_ELEMENTS; i++) if (test(v[i])) return true;
      return false;
    }
    return test(v);
  };
}

// Booleans compare as the strings "true" / "false", so `beta in ["true"]` works for `beta: true`.
function normalizeScalar(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 'true' : 'false') : v;
}

function compileValueTest(condition: Condition): ValueTest | undefined {
  const { op, values } = condition;
  switch (op) {
    case 'in': {
      if (values.length === 1) {
        const only = values[0];
        return (v) => normalizeScalar(v) === only;
      }
      const set = new Set<unknown>(values);
      return (v) => set.has(normalizeScalar(v));
    }
    case 'startsWith':
      return stringTest(values, (v, s) => v.startsWith(s));
    case 'endsWith':
      return stringTest(values, (v, s) => v.endsWith(s));
    case 'contains':
      return stringTest(values, (v, s) => v.includes(s));
    case 'matches': {
      // The same compile function and limits as save-time validation; a refused pattern (one
      // stored before RE2 syntax was required, or a hand-made snapshot) makes the condition false.
      if (!values.every((x): x is string => typeof x === 'string')) return undefined;
      const compiled = compileRegex(values);
      if (!compiled.ok) return undefined;
      const regex = compiled.regex;
      return (v) => typeof v === 'string' && regex.test(v);
    }
    case 'lt':
      return numberTest(values, (v, x) => v < x);
    case 'lte':
      return numberTest(values, (v, x) => v <= x);
    case 'gt':
      return numberTest(values, (v, x) => v > x);
    case 'gte':
      return numberTest(values, (v, x) => v >= x);
    case 'semverEq':
      return semverTest(values, (c) => c === 0);
    case 'semverLt':
      return semverTest(values, (c) => c < 0);
    case 'semverLte':
      return semverTest(values, (c) => c <= 0);
    case 'semverGt':
      return semverTest(values, (c) => c > 0);
    case 'semverGte':
      return semverTest(values, (c) => c >= 0);
    case 'before':
      return dateTest(values, (v, x) => v < x);
    case 'after':
      return dateTest(values, (v, x) => v > x);
    default:
      return undefined;
  }
}

function stringTest(values: Condition['values'], cmp: (v: string, s: string) => boolean): ValueTest | undefined {
  const strings = values.filter((x): x is string => typeof x === 'string');
  if (strings.length !== values.length) return undefined;
  return (v) => {
    if (typeof v !== 'string') return false;
    for (let i = 0; i < strings.length; i++) if (cmp(v, strings[i]!)) return true;
    return false;
  };
}

function numberTest(values: Condition['values'], cmp: (v: number, x: number) => boolean): ValueTest | undefined {
  const numbers = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (numbers.length !== values.length) return undefined;
  return (v) => {
    if (typeof v !== 'number' || Number.isNaN(v)) return false;
    for (let i = 0; i < numbers.length; i++) if (cmp(v, numbers[i]!)) return true;
    return false;
  };
}

function semverTest(values: Condition['values'], accept: (comparison: number) => boolean): ValueTest | undefined {
  const versions = values.map((x) => (typeof x === 'string' ? parseSemver(x) : null));
  if (versions.some((x) => x === null)) return undefined;
  return (v) => {
    if (typeof v !== 'string' || v.length > 256) return false;
    const parsed = parseSemver(v);
    if (parsed === null) return false;
    for (let i = 0; i < versions.length; i++) if (accept(compareSemver(parsed, versions[i]!))) return true;
    return false;
  };
}

/**
 * Epoch milliseconds of a date value: a finite number (ms), or an RFC 3339 string, read with the
 * validator's own strict parser so a time without an offset never depends on a server's zone.
 */
export function toEpochMs(v: unknown): number {
  if (typeof v === 'string' && v.length > 64) return NaN;
  return parseDateValue(v) ?? NaN;
}

function dateTest(values: Condition['values'], cmp: (v: number, x: number) => boolean): ValueTest | undefined {
  const times = values.map(toEpochMs);
  if (times.some(Number.isNaN)) return undefined;
  return (v) => {
    const t = toEpochMs(v);
    if (Number.isNaN(t)) return false;
    for (let i = 0; i < times.length; i++) if (cmp(t, times[i]!)) return true;
    return false;
  };
}
