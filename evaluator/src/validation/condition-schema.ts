/** Conditions (`attribute op values`), shared by flag rules and segment rules. */
import { OPERATORS } from '../model/flag.ts';
import type { Condition, Operator } from '../model/flag.ts';
import { compileRegex, regexProblem } from '../engine/runtime/regex.ts';
import { parseDateValue } from '../engine/runtime/date-value.ts';
import { checkArray, checkString, checkUnknownFields, expectRecord, own, requirePresent } from './fields.ts';
import { describeType, pathIndex, pathKey, quote } from './problems.ts';
import type { ProblemCollector } from './problems.ts';
import { parseSemver } from '../engine/runtime/semver.ts';
import { didYouMean } from './suggest.ts';

/** Most values one condition may list. */
export const MAX_CONDITION_VALUES = 10_000;
/** Longest attribute name. */
export const MAX_ATTRIBUTE_LENGTH = 256;

const CONDITION_FIELDS: ReadonlySet<string> = new Set(['attribute', 'op', 'values']);
const OPERATOR_SET: ReadonlySet<string> = new Set(OPERATORS);
const SEGMENT_OPS: ReadonlySet<Operator> = new Set<Operator>(['inSegment', 'notInSegment']);

/** What a condition may refer to where it appears. */
export interface ConditionContext {
  /** Keys of the segments that exist; segment operators must name one of them. */
  knownSegments: ReadonlySet<string>;
  /** False inside segments: a segment may not depend on another segment. */
  allowSegmentOps: boolean;
}

/** Validates an array of conditions; returns clean copies when every one is valid. */
export function readConditions(
  v: unknown,
  path: string,
  p: ProblemCollector,
  ctx: ConditionContext,
): Condition[] | undefined {
  // No cap was specified per rule; MAX_CONDITION_VALUES bounds it generously.
  const list = checkArray(v, path, p, MAX_CONDITION_VALUES);
  if (list === undefined) return undefined;
  const before = p.total;
  const out: Condition[] = [];
  for (let i = 0; i < list.length && !p.full; i++) {
    const c = readCondition(list[i], pathIndex(path, i), p, ctx);
    if (c !== undefined) out.push(c);
  }
  return p.total === before ? out : undefined;
}

function readCondition(v: unknown, path: string, p: ProblemCollector, ctx: ConditionContext): Condition | undefined {
  const o = expectRecord(v, path, p);
  if (o === undefined) return undefined;
  const before = p.total;
  checkUnknownFields(o, path, CONDITION_FIELDS, p);

  let op: Operator | undefined;
  const opPath = pathKey(path, 'op');
  if (requirePresent(o, 'op', path, p)) {
    const raw = own(o, 'op');
    if (typeof raw !== 'string') {
      p.add(opPath, `expected string, got ${describeType(raw)}`);
    } else if (!OPERATOR_SET.has(raw)) {
      p.add(opPath, `unknown operator ${quote(raw)}${didYouMean(raw, OPERATORS)}`);
    } else if (!ctx.allowSegmentOps && SEGMENT_OPS.has(raw as Operator)) {
      p.add(opPath, 'segments cannot reference segments');
    } else {
      op = raw as Operator;
    }
  }

  // Segment operators ignore the attribute, so it may be absent there (it is kept as '').
  const isSegmentOp = op !== undefined && SEGMENT_OPS.has(op);
  let attribute: string | undefined;
  if (isSegmentOp && !Object.hasOwn(o, 'attribute')) {
    attribute = '';
  } else if (requirePresent(o, 'attribute', path, p)) {
    attribute = checkString(own(o, 'attribute'), pathKey(path, 'attribute'), p, {
      nonEmpty: !isSegmentOp,
      max: MAX_ATTRIBUTE_LENGTH,
    });
  }

  let values: Array<string | number> | undefined;
  if (requirePresent(o, 'values', path, p)) {
    const valuesPath = pathKey(path, 'values');
    const list = checkArray(own(o, 'values'), valuesPath, p, MAX_CONDITION_VALUES, 1);
    // Values are only typed against a known operator; an unknown one was reported already.
    if (list !== undefined && op !== undefined) values = readValues(list, op, valuesPath, p, ctx);
  }

  if (p.total !== before || op === undefined || attribute === undefined || values === undefined) return undefined;
  return { attribute, op, values };
}

function readValues(
  list: unknown[],
  op: Operator,
  path: string,
  p: ProblemCollector,
  ctx: ConditionContext,
): Array<string | number> | undefined {
  const before = p.total;
  const out: Array<string | number> = [];
  for (let i = 0; i < list.length && !p.full; i++) {
    const v = list[i];
    const problem = valueProblem(v, op, ctx);
    if (problem === undefined) out.push(v as string | number);
    else p.add(pathIndex(path, i), problem);
  }
  if (p.total !== before) return undefined;
  // Each pattern compiled alone above; together they must also fit one condition's budget,
  // since one evaluation runs every one of them on the value (engine/runtime/regex.ts).
  if (op === 'matches') {
    const together = compileRegex(out as string[]);
    if (!together.ok) {
      const at = together.refusal.index;
      p.add(at === undefined ? path : pathIndex(path, at), together.refusal.message);
      return undefined;
    }
  }
  return out;
}

/** What is wrong with one value for `op`, or undefined when it is fine. */
function valueProblem(v: unknown, op: Operator, ctx: ConditionContext): string | undefined {
  switch (op) {
    case 'in':
    case 'notIn':
      // The model keeps values to strings and numbers; booleans would need their own semantics.
      if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return undefined;
      return `expected string or number, got ${describeType(v)}`;
    case 'startsWith':
    case 'endsWith':
    case 'contains':
      return typeof v === 'string' ? undefined : `expected string, got ${describeType(v)}`;
    case 'matches':
      return typeof v === 'string' ? regexProblem(v) : `expected string, got ${describeType(v)}`;
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return typeof v === 'number' && Number.isFinite(v)
        ? undefined
        : `expected a finite number, got ${describeType(v)}`;
    case 'semverEq':
    case 'semverLt':
    case 'semverLte':
    case 'semverGt':
    case 'semverGte':
      if (typeof v !== 'string') return `expected string, got ${describeType(v)}`;
      return parseSemver(v) !== null
        ? undefined
        : `invalid semver ${quote(v)}: expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. "1.4.0"`;
    case 'before':
    case 'after':
      if (typeof v !== 'string' && typeof v !== 'number')
        return `expected date string or epoch milliseconds, got ${describeType(v)}`;
      if (parseDateValue(v) !== null) return undefined;
      return typeof v === 'number'
        ? `expected a finite number of epoch milliseconds, got ${v}`
        : `invalid date ${quote(v)}: expected RFC 3339, e.g. "2025-01-31" or "2025-01-31T09:00:00Z" (a time needs an offset)`;
    case 'inSegment':
    case 'notInSegment':
      if (typeof v !== 'string') return `expected string, got ${describeType(v)}`;
      if (ctx.knownSegments.has(v)) return undefined;
      // Suggestions cost an edit distance per candidate; skip them for very large sets.
      return `unknown segment ${quote(v)}${ctx.knownSegments.size <= 1000 ? didYouMean(v, ctx.knownSegments) : ''}`;
  }
}
