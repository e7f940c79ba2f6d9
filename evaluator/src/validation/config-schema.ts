/** Validation of a flag's configuration in one environment. */
import { compileRegex } from '../engine/runtime/regex.ts';
import { TOTAL_WEIGHT } from '../model/flag.ts';
import type {
  Condition,
  FailMode,
  Flag,
  FlagConfig,
  Prerequisite,
  Rule,
  Serve,
  Target,
  WeightedVariant,
} from '../model/flag.ts';
import { readConditions } from './condition-schema.ts';
import type { ConditionContext } from './condition-schema.ts';
import { MAX_ATTRIBUTE_LENGTH } from './condition-schema.ts';
import {
  checkArray,
  checkBoolean,
  checkInteger,
  checkKey,
  checkKeyList,
  checkString,
  checkUnknownFields,
  expectRecord,
  isRecord,
  own,
  requirePresent,
} from './fields.ts';
import type { JsonRecord } from './fields.ts';
import { MAX_DESCRIPTION_LENGTH } from './flag-schema.ts';
import { describeType, pathIndex, pathKey, ProblemCollector, quote } from './problems.ts';
import type { Validated } from './problems.ts';
import { didYouMean } from './suggest.ts';

/** Most rules one flag may have in one environment. */
export const MAX_RULES = 500;
/** Most context keys one target entry may list (as many as a segment list). */
export const MAX_TARGET_KEYS = 100_000;
/** Longest rule id. */
export const MAX_RULE_ID_LENGTH = 128;
/**
 * Most regex program instructions the `matches` conditions of one flag config (or one segment)
 * may compile to together. Each condition is already held to 64 (engine/runtime/regex.ts), but 500 rules
 * could hold 500 of them, and one evaluation may run them all. The bit-state matcher costs about
 * 14 ns per (instruction, position) pair (measured for MAX_REGEX_PROGRAM: 922 µs worst for 64
 * instructions on 1,025 positions), so 256 instructions bound the regex work of one flag's
 * evaluation to about 256 x 1,025 x 14 ns = 3.7 ms on string attributes (four conditions at the
 * per-condition maximum, or dozens of ordinary prefix/suffix patterns of 5-15 instructions).
 */
export const MAX_REGEX_PROGRAM_PER_CONFIG = 256;

/** The fields of {@link FlagConfig}. */
export const CONFIG_FIELDS: readonly string[] = [
  'enabled',
  'offVariant',
  'prerequisites',
  'targets',
  'rules',
  'defaultRule',
  'bucketBy',
  'failMode',
];

const PREREQUISITE_FIELDS: ReadonlySet<string> = new Set(['flag', 'variant']);
const TARGET_FIELDS: ReadonlySet<string> = new Set(['variant', 'values']);
const RULE_FIELDS: ReadonlySet<string> = new Set(['id', 'description', 'conditions', 'serve']);
const SERVE_FIELDS: ReadonlySet<string> = new Set(['variant', 'split']);
const SPLIT_FIELDS: ReadonlySet<string> = new Set(['variant', 'weight']);
const FAIL_MODES: readonly FailMode[] = ['off', 'last'];

/** What a configuration is checked against. */
export interface ConfigContext {
  /** The flag's key, when known: a flag cannot be its own prerequisite. */
  flagKey: string | undefined;
  /** The flag's variant names, or null when unknown (variant references are then not checked). */
  variantNames: ReadonlySet<string> | null;
  knownSegments: ReadonlySet<string>;
}

/** A structurally valid prerequisite and where it was, for the snapshot's cross-checks. */
export interface PrerequisiteRef extends Prerequisite {
  path: string;
}

/** What reading a configuration's fields yields. */
export interface ConfigParts {
  config: FlagConfig | undefined;
  /** The prerequisites that are well-formed, whatever else is wrong. */
  prerequisites: PrerequisiteRef[];
}

/**
 * Validates a flag's configuration in one environment against the flag (for its key and variant
 * names) and the segments that exist. Unknown fields are problems. Never throws.
 */
export function validateFlagConfig(
  input: unknown,
  flag: Flag,
  knownSegments: ReadonlySet<string>,
): Validated<FlagConfig> {
  const p = new ProblemCollector();
  const o = expectRecord(input, '', p);
  if (o === undefined) return p.result<FlagConfig>(undefined);
  checkUnknownFields(o, '', new Set(CONFIG_FIELDS), p);
  // `flag` is typed, but callers may pass one read from storage: do not trust its shape blindly.
  const variants: unknown = isRecord(flag) ? flag.variants : undefined;
  const ctx: ConfigContext = {
    flagKey: isRecord(flag) && typeof flag.key === 'string' ? flag.key : undefined,
    variantNames: isRecord(variants) ? new Set(Object.keys(variants)) : null,
    knownSegments:
      typeof (knownSegments as Partial<ReadonlySet<string>> | null)?.has === 'function' ? knownSegments : new Set(),
  };
  return p.result(readConfigFields(o, '', p, ctx).config);
}

/** Reads the configuration fields of `o` (others are the caller's business). */
export function readConfigFields(o: JsonRecord, path: string, p: ProblemCollector, ctx: ConfigContext): ConfigParts {
  const before = p.total;
  const at = (field: string): string => pathKey(path, field);

  const enabled = requirePresent(o, 'enabled', path, p) ? checkBoolean(own(o, 'enabled'), at('enabled'), p) : undefined;

  let offVariant: string | undefined;
  if (requirePresent(o, 'offVariant', path, p))
    offVariant = readVariantRef(own(o, 'offVariant'), at('offVariant'), p, ctx);

  const prerequisiteRefs: PrerequisiteRef[] = [];
  let prerequisites: Prerequisite[] | undefined;
  if (requirePresent(o, 'prerequisites', path, p)) {
    prerequisites = readPrerequisites(own(o, 'prerequisites'), at('prerequisites'), p, ctx, prerequisiteRefs);
  }

  const targets = requirePresent(o, 'targets', path, p)
    ? readTargets(own(o, 'targets'), at('targets'), p, ctx)
    : undefined;
  const rules = requirePresent(o, 'rules', path, p) ? readRules(own(o, 'rules'), at('rules'), p, ctx) : undefined;
  const defaultRule = requirePresent(o, 'defaultRule', path, p)
    ? readServe(own(o, 'defaultRule'), at('defaultRule'), p, ctx)
    : undefined;

  let bucketBy: string | undefined;
  if (Object.hasOwn(o, 'bucketBy')) {
    bucketBy = checkString(own(o, 'bucketBy'), at('bucketBy'), p, { nonEmpty: true, max: MAX_ATTRIBUTE_LENGTH });
  }

  let failMode: FailMode | undefined;
  if (Object.hasOwn(o, 'failMode')) {
    const raw = own(o, 'failMode');
    if (typeof raw === 'string' && (FAIL_MODES as readonly string[]).includes(raw)) failMode = raw as FailMode;
    else
      p.add(
        at('failMode'),
        `expected "off" or "last", got ${typeof raw === 'string' ? quote(raw) : describeType(raw)}`,
      );
  }

  let config: FlagConfig | undefined;
  if (
    p.total === before &&
    enabled !== undefined &&
    offVariant !== undefined &&
    prerequisites !== undefined &&
    targets !== undefined &&
    rules !== undefined &&
    defaultRule !== undefined
  ) {
    config = {
      enabled,
      offVariant,
      prerequisites,
      targets,
      rules,
      defaultRule,
      ...(bucketBy !== undefined ? { bucketBy } : {}),
      ...(failMode !== undefined ? { failMode } : {}),
    };
  }
  return { config, prerequisites: prerequisiteRefs };
}

/** A reference to one of the flag's variants. */
function readVariantRef(v: unknown, path: string, p: ProblemCollector, ctx: ConfigContext): string | undefined {
  if (typeof v !== 'string') {
    p.add(path, `expected string, got ${describeType(v)}`);
    return undefined;
  }
  if (ctx.variantNames !== null && !ctx.variantNames.has(v)) {
    p.add(path, `unknown variant ${quote(v)}${didYouMean(v, ctx.variantNames)}`);
    return undefined;
  }
  return v;
}

function readPrerequisites(
  v: unknown,
  path: string,
  p: ProblemCollector,
  ctx: ConfigContext,
  refs: PrerequisiteRef[],
): Prerequisite[] | undefined {
  // No cap was specified; a flag has at most as many prerequisites as there are flags, and this
  // bounds the work of the snapshot's cycle check.
  const list = checkArray(v, path, p, 100);
  if (list === undefined) return undefined;
  const before = p.total;
  const out: Prerequisite[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < list.length && !p.full; i++) {
    const at = pathIndex(path, i);
    const o = expectRecord(list[i], at, p);
    if (o === undefined) continue;
    const itemBefore = p.total;
    checkUnknownFields(o, at, PREREQUISITE_FIELDS, p);
    const flag = requirePresent(o, 'flag', at, p)
      ? checkKey(own(o, 'flag'), pathKey(at, 'flag'), p, 'flag key')
      : undefined;
    // The variant belongs to another flag: only a snapshot can check that it exists.
    const variant = requirePresent(o, 'variant', at, p)
      ? checkString(own(o, 'variant'), pathKey(at, 'variant'), p, { nonEmpty: true })
      : undefined;
    if (flag !== undefined && flag === ctx.flagKey) {
      p.add(pathKey(at, 'flag'), 'a flag cannot be its own prerequisite');
    } else if (flag !== undefined && seen.has(flag)) {
      // Two requirements on one flag are either redundant or impossible to meet together.
      p.add(
        pathKey(at, 'flag'),
        `duplicate prerequisite on flag ${quote(flag)} (already in ${pathIndex(path, seen.get(flag)!)})`,
      );
    }
    if (flag !== undefined && !seen.has(flag)) seen.set(flag, i);
    if (flag !== undefined && variant !== undefined) {
      refs.push({ flag, variant, path: at });
      if (p.total === itemBefore) out.push({ flag, variant });
    }
  }
  return p.total === before ? out : undefined;
}

function readTargets(v: unknown, path: string, p: ProblemCollector, ctx: ConfigContext): Target[] | undefined {
  const list = checkArray(v, path, p, 100);
  if (list === undefined) return undefined;
  const before = p.total;
  const out: Target[] = [];
  // One map across all targets: a key in two targets would be served whichever comes first.
  const seen = new Map<string, string>();
  for (let i = 0; i < list.length && !p.full; i++) {
    const at = pathIndex(path, i);
    const o = expectRecord(list[i], at, p);
    if (o === undefined) continue;
    checkUnknownFields(o, at, TARGET_FIELDS, p);
    const variant = requirePresent(o, 'variant', at, p)
      ? readVariantRef(own(o, 'variant'), pathKey(at, 'variant'), p, ctx)
      : undefined;
    let values: string[] | undefined;
    if (requirePresent(o, 'values', at, p)) {
      const valuesPath = pathKey(at, 'values');
      const raw = checkArray(own(o, 'values'), valuesPath, p, MAX_TARGET_KEYS);
      if (raw !== undefined) values = checkKeyList(raw, valuesPath, p, seen, () => at);
    }
    if (variant !== undefined && values !== undefined) out.push({ variant, values });
  }
  return p.total === before ? out : undefined;
}

function readRules(v: unknown, path: string, p: ProblemCollector, ctx: ConfigContext): Rule[] | undefined {
  const list = checkArray(v, path, p, MAX_RULES);
  if (list === undefined) return undefined;
  const before = p.total;
  const out: Rule[] = [];
  const ids = new Map<string, number>();
  const conditionCtx: ConditionContext = { knownSegments: ctx.knownSegments, allowSegmentOps: true };
  for (let i = 0; i < list.length && !p.full; i++) {
    const at = pathIndex(path, i);
    const o = expectRecord(list[i], at, p);
    if (o === undefined) continue;
    checkUnknownFields(o, at, RULE_FIELDS, p);
    let id: string | undefined;
    if (Object.hasOwn(o, 'id')) {
      id = checkString(own(o, 'id'), pathKey(at, 'id'), p, { nonEmpty: true, max: MAX_RULE_ID_LENGTH });
      if (id !== undefined) {
        const first = ids.get(id);
        if (first !== undefined)
          p.add(pathKey(at, 'id'), `duplicate rule id ${quote(id)} (already in ${pathIndex(path, first)})`);
        else ids.set(id, i);
      }
    }
    let description: string | undefined;
    if (Object.hasOwn(o, 'description')) {
      description = checkString(own(o, 'description'), pathKey(at, 'description'), p, { max: MAX_DESCRIPTION_LENGTH });
    }
    const conditions = requirePresent(o, 'conditions', at, p)
      ? readConditions(own(o, 'conditions'), pathKey(at, 'conditions'), p, conditionCtx)
      : undefined;
    const serve = requirePresent(o, 'serve', at, p)
      ? readServe(own(o, 'serve'), pathKey(at, 'serve'), p, ctx)
      : undefined;
    if (conditions !== undefined && serve !== undefined) {
      out.push({
        ...(id !== undefined ? { id } : {}),
        ...(description !== undefined ? { description } : {}),
        conditions,
        serve,
      });
    }
  }
  if (p.total !== before) return undefined;
  return checkRegexBudget(out, path, p, 'config') ? out : undefined;
}

/**
 * Adds up the program sizes of the `matches` conditions of `rules` (valid, so indices are the
 * input's) and reports the condition that takes the total over {@link MAX_REGEX_PROGRAM_PER_CONFIG}
 * at its `values`. Returns false when it did. `what` names the budget's owner in the message.
 */
export function checkRegexBudget(
  rules: ReadonlyArray<{ conditions: readonly Condition[] }>,
  path: string,
  p: ProblemCollector,
  what: 'config' | 'segment',
): boolean {
  let total = 0;
  for (let i = 0; i < rules.length; i++) {
    const conditions = rules[i]!.conditions;
    for (let j = 0; j < conditions.length; j++) {
      const c = conditions[j]!;
      if (c.op !== 'matches') continue;
      const compiled = compileRegex(c.values as string[]);
      if (!compiled.ok) continue; // already reported by the condition's own check
      total += compiled.regex.programSize;
      if (total > MAX_REGEX_PROGRAM_PER_CONFIG) {
        p.add(
          pathKey(pathIndex(pathKey(pathIndex(path, i), 'conditions'), j), 'values'),
          `regex budget exceeded: the matches conditions of this ${what} compile to ${total} instructions up to here (at most ${MAX_REGEX_PROGRAM_PER_CONFIG} per ${what}, since one evaluation may run them all)`,
        );
        return false;
      }
    }
  }
  return true;
}

/** `{variant}` or `{split}`, exactly one of them. */
function readServe(v: unknown, path: string, p: ProblemCollector, ctx: ConfigContext): Serve | undefined {
  const o = expectRecord(v, path, p);
  if (o === undefined) return undefined;
  checkUnknownFields(o, path, SERVE_FIELDS, p);
  const hasVariant = Object.hasOwn(o, 'variant');
  const hasSplit = Object.hasOwn(o, 'split');
  if (hasVariant === hasSplit) {
    p.add(path, `expected exactly one of "variant" or "split", got ${hasVariant ? 'both' : 'neither'}`);
    return undefined;
  }
  if (hasVariant) {
    const variant = readVariantRef(own(o, 'variant'), pathKey(path, 'variant'), p, ctx);
    return variant === undefined ? undefined : { variant };
  }
  const split = readSplit(own(o, 'split'), pathKey(path, 'split'), p, ctx);
  return split === undefined ? undefined : { split };
}

function readSplit(v: unknown, path: string, p: ProblemCollector, ctx: ConfigContext): WeightedVariant[] | undefined {
  // A split longer than the variant count must repeat a variant; 100 is MAX_VARIANTS.
  const list = checkArray(v, path, p, 100);
  if (list === undefined) return undefined;
  const before = p.total;
  const out: WeightedVariant[] = [];
  const seen = new Map<string, number>();
  let sum = 0;
  let allWeights = true;
  for (let i = 0; i < list.length && !p.full; i++) {
    const at = pathIndex(path, i);
    const o = expectRecord(list[i], at, p);
    if (o === undefined) {
      allWeights = false;
      continue;
    }
    checkUnknownFields(o, at, SPLIT_FIELDS, p);
    const variant = requirePresent(o, 'variant', at, p)
      ? readVariantRef(own(o, 'variant'), pathKey(at, 'variant'), p, ctx)
      : undefined;
    if (variant !== undefined) {
      const first = seen.get(variant);
      if (first !== undefined) {
        p.add(
          pathKey(at, 'variant'),
          `duplicate variant ${quote(variant)} in split (already in ${pathIndex(path, first)})`,
        );
      } else seen.set(variant, i);
    }
    const weight = requirePresent(o, 'weight', at, p)
      ? checkInteger(own(o, 'weight'), pathKey(at, 'weight'), p, 0, TOTAL_WEIGHT)
      : undefined;
    if (weight === undefined) allWeights = false;
    else sum += weight;
    if (variant !== undefined && weight !== undefined) out.push({ variant, weight });
  }
  // The sum only means something when every weight was readable.
  if (allWeights && sum !== TOTAL_WEIGHT) {
    p.add(path, `weights sum to ${sum}, expected ${TOTAL_WEIGHT} (100%)`);
  }
  return p.total === before ? out : undefined;
}
