/** Validation of segments: explicit include/exclude lists and rules. */
import type { Condition, Segment } from '../model/flag.ts';
import { readConditions } from './condition-schema.ts';
import type { ConditionContext } from './condition-schema.ts';
import {
  checkArray,
  checkInteger,
  checkKey,
  checkKeyList,
  checkString,
  checkUnknownFields,
  expectRecord,
  own,
  requirePresent,
} from './fields.ts';
import type { JsonRecord } from './fields.ts';
import { checkRegexBudget } from './config-schema.ts';
import { MAX_DESCRIPTION_LENGTH } from './flag-schema.ts';
import { pathIndex, pathKey, ProblemCollector, quote } from './problems.ts';
import type { Validated } from './problems.ts';

/** Most keys in a segment's `included` or `excluded` list. */
export const MAX_SEGMENT_KEYS = 100_000;
/** Most rules one segment may have. */
export const MAX_SEGMENT_RULES = 500;

const SEGMENT_FIELDS: ReadonlySet<string> = new Set(['key', 'description', 'version', 'included', 'excluded', 'rules']);
const SEGMENT_RULE_FIELDS: ReadonlySet<string> = new Set(['conditions']);
// Segment rules cannot use segment operators, so no segment key is ever needed.
const SEGMENT_CONDITIONS: ConditionContext = { knownSegments: new Set(), allowSegmentOps: false };

/**
 * Validates a segment: key, positive integer version, included / excluded key lists (no
 * duplicates, no key in both) and rules whose conditions do not reference segments. Never throws.
 */
export function validateSegment(input: unknown): Validated<Segment> {
  const p = new ProblemCollector();
  return p.result(readSegment(input, '', p));
}

/** Validates a segment at `path`, reporting to `p`; returns the clean segment when valid. */
export function readSegment(input: unknown, path: string, p: ProblemCollector): Segment | undefined {
  const o = expectRecord(input, path, p);
  if (o === undefined) return undefined;
  const before = p.total;
  const at = (field: string): string => pathKey(path, field);
  checkUnknownFields(o, path, SEGMENT_FIELDS, p);

  const key = requirePresent(o, 'key', path, p) ? checkKey(own(o, 'key'), at('key'), p) : undefined;
  let description: string | undefined;
  if (Object.hasOwn(o, 'description')) {
    description = checkString(own(o, 'description'), at('description'), p, { max: MAX_DESCRIPTION_LENGTH });
  }
  const version = requirePresent(o, 'version', path, p)
    ? checkInteger(own(o, 'version'), at('version'), p, 1)
    : undefined;

  // Each map holds a list's distinct keys and where each first appears, even when the list has
  // other problems, so the two lists are compared in every case.
  const includedAt = new Map<string, string>();
  const excludedAt = new Map<string, string>();
  const included = readKeyList(o, 'included', path, p, includedAt);
  const excluded = readKeyList(o, 'excluded', path, p, excludedAt);
  // Exclusion would win, but a key in both lists is a contradiction worth showing.
  for (const [k, where] of excludedAt) {
    if (p.full) break;
    const other = includedAt.get(k);
    if (other !== undefined) p.add(where, `key ${quote(k)} is also in ${other}`);
  }

  const rules = requirePresent(o, 'rules', path, p) ? readSegmentRules(own(o, 'rules'), at('rules'), p) : undefined;

  if (
    p.total !== before ||
    key === undefined ||
    version === undefined ||
    included === undefined ||
    excluded === undefined ||
    rules === undefined
  ) {
    return undefined;
  }
  return {
    key,
    ...(description !== undefined ? { description } : {}),
    version,
    included,
    excluded,
    rules,
  };
}

function readKeyList(
  o: JsonRecord,
  field: string,
  path: string,
  p: ProblemCollector,
  seen: Map<string, string>,
): string[] | undefined {
  if (!requirePresent(o, field, path, p)) return undefined;
  const at = pathKey(path, field);
  const list = checkArray(own(o, field), at, p, MAX_SEGMENT_KEYS);
  if (list === undefined) return undefined;
  return checkKeyList(list, at, p, seen, (i) => pathIndex(at, i));
}

function readSegmentRules(
  v: unknown,
  path: string,
  p: ProblemCollector,
): Array<{ conditions: Condition[] }> | undefined {
  const list = checkArray(v, path, p, MAX_SEGMENT_RULES);
  if (list === undefined) return undefined;
  const before = p.total;
  const out: Array<{ conditions: Condition[] }> = [];
  for (let i = 0; i < list.length && !p.full; i++) {
    const at = pathIndex(path, i);
    const o = expectRecord(list[i], at, p);
    if (o === undefined) continue;
    checkUnknownFields(o, at, SEGMENT_RULE_FIELDS, p);
    if (!requirePresent(o, 'conditions', at, p)) continue;
    const conditions = readConditions(own(o, 'conditions'), pathKey(at, 'conditions'), p, SEGMENT_CONDITIONS);
    if (conditions !== undefined) out.push({ conditions });
  }
  if (p.total !== before) return undefined;
  // The same budget as a flag config's: a flag's rule can test the segment on every evaluation.
  return checkRegexBudget(out, path, p, 'segment') ? out : undefined;
}
