/**
 * What each condition operator takes (docs/evaluation.md "Conditions"), for the editor's
 * operator select and value inputs, and how a values input's text becomes condition values.
 */
import type { Condition, Operator } from '@flagship/evaluator';

/**
 * - text: strings (startsWith, endsWith, contains)
 * - textOrNumber: strings or numbers (in, notIn), one type per condition in the editor
 * - number: finite numbers (lt, lte, gt, gte)
 * - semver: SemVer 2.0.0 strings
 * - date: RFC 3339 strings or epoch milliseconds
 * - regex: RE2 patterns
 * - segment: segment keys (the attribute is ignored)
 */
export type ValueKind = 'text' | 'textOrNumber' | 'number' | 'semver' | 'date' | 'regex' | 'segment';

const KINDS: Record<Operator, ValueKind> = {
  in: 'textOrNumber',
  notIn: 'textOrNumber',
  startsWith: 'text',
  endsWith: 'text',
  contains: 'text',
  matches: 'regex',
  lt: 'number',
  lte: 'number',
  gt: 'number',
  gte: 'number',
  semverEq: 'semver',
  semverLt: 'semver',
  semverLte: 'semver',
  semverGt: 'semver',
  semverGte: 'semver',
  before: 'date',
  after: 'date',
  inSegment: 'segment',
  notInSegment: 'segment',
};

/** Words for the operator select (the option's value is the operator itself). */
export const OPERATOR_LABELS: Record<Operator, string> = {
  in: 'is one of',
  notIn: 'is none of',
  startsWith: 'starts with',
  endsWith: 'ends with',
  contains: 'contains',
  matches: 'matches regex (RE2)',
  lt: '< (number)',
  lte: '≤ (number)',
  gt: '> (number)',
  gte: '≥ (number)',
  semverEq: '= (SemVer)',
  semverLt: '< (SemVer)',
  semverLte: '≤ (SemVer)',
  semverGt: '> (SemVer)',
  semverGte: '≥ (SemVer)',
  before: 'before (date)',
  after: 'after (date)',
  inSegment: 'is in segment',
  notInSegment: 'is not in segment',
};

/** A hint under the values input. */
export const VALUE_HINTS: Record<ValueKind, string> = {
  text: 'One string per line; the condition holds when any matches.',
  textOrNumber: 'One value per line; the condition holds when the attribute equals any of them.',
  number: 'One number per line, e.g. 18.',
  semver: 'One SemVer version per line, e.g. 2.5.0 or 1.0.0-rc.1.',
  date: 'One date per line: RFC 3339 (2025-01-31 or 2025-01-31T09:00:00Z) or epoch milliseconds.',
  regex: 'One RE2 pattern per line; anchor with ^ and $.',
  segment: 'Pick one or more segments.',
};

export function valueKindOf(op: Operator): ValueKind {
  return KINDS[op];
}

export function isSegmentOperator(op: Operator): boolean {
  return KINDS[op] === 'segment';
}

/** For in / notIn: whether the values are numbers (all of them, and at least one). */
export function valuesAreNumbers(values: Condition['values']): boolean {
  return values.length > 0 && values.every((v) => typeof v === 'number');
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INTEGER = /^-?\d+$/;

/**
 * A values input's text (one value per line; blank lines dropped) as condition values for `kind`.
 * Numbers where the kind takes numbers (`numeric` picks them for in / notIn; a date of digits only
 * is epoch milliseconds); a line that is not a number where one is needed stays a string, so that
 * validation names it instead of the editor dropping it silently.
 */
export function parseValues(text: string, kind: ValueKind, numeric = false): Array<string | number> {
  const lines = text
    .split('\n')
    .map((l) => (kind === 'regex' || kind === 'text' ? l.replace(/\r$/, '') : l.trim()))
    .filter((l) => l.trim() !== '');
  const wantsNumber = kind === 'number' || (kind === 'textOrNumber' && numeric);
  return lines.map((l) => {
    if (wantsNumber && NUMBER.test(l)) return Number(l);
    if (kind === 'date' && INTEGER.test(l)) return Number(l);
    return l;
  });
}

/** Condition values as the values input's text, one per line. */
export function formatValues(values: Condition['values']): string {
  return values.map(String).join('\n');
}

/**
 * A condition after its operator changed: values kept when the new operator reads them the same
 * way (their text re-read for the new kind), dropped when moving to or from segment operators.
 */
export function changeOperator(condition: Condition, op: Operator): Condition {
  const from = valueKindOf(condition.op);
  const to = valueKindOf(op);
  if ((from === 'segment') !== (to === 'segment')) {
    return { attribute: to === 'segment' ? '' : condition.attribute, op, values: [] };
  }
  const values = from === to ? condition.values : parseValues(formatValues(condition.values), to);
  return { attribute: condition.attribute, op, values };
}
