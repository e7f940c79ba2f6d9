/** Validation of a flag's definition (the part that is the same in every environment). */
import { FLAG_TYPES } from '../model/flag.ts';
import type { Flag, FlagType, VariantValue } from '../model/flag.ts';
import {
  checkArray,
  checkKey,
  checkString,
  checkUnknownFields,
  expectRecord,
  isRecord,
  own,
  requirePresent,
} from './fields.ts';
import type { JsonRecord } from './fields.ts';
import { copyJsonObject } from './json-value.ts';
import { describeType, pathIndex, pathKey, ProblemCollector, quote } from './problems.ts';
import type { Validated } from './problems.ts';
import { SALT_PATTERN } from './salt.ts';
import { didYouMean } from './suggest.ts';

/** Most variants one flag may have. */
export const MAX_VARIANTS = 100;
/** Longest description (flags, rules, segments). */
export const MAX_DESCRIPTION_LENGTH = 2000;
/** Most tags one flag may have. */
export const MAX_TAGS = 50;
/** Longest tag. */
export const MAX_TAG_LENGTH = 64;

/** The fields of {@link Flag}. */
export const FLAG_FIELDS: readonly string[] = [
  'key',
  'type',
  'description',
  'tags',
  'variants',
  'salt',
  'trackExposures',
];

/** What reading a flag's fields yields, even when some are invalid (to check the rest against). */
export interface FlagParts {
  /** The clean flag, when its fields had no problems. */
  flag: Flag | undefined;
  /** The key, when valid. */
  key: string | undefined;
  /**
   * Every variant name present (valid or not), or null when `variants` is not an object.
   * Including invalid names avoids a cascade of "unknown variant" for a name already reported.
   */
  variantNames: ReadonlySet<string> | null;
}

/**
 * Validates a flag definition: key, type, variants (1 to 100, each of the flag's type), salt,
 * optional description, tags and trackExposures. Unknown fields are problems. Never throws.
 */
export function validateFlag(input: unknown): Validated<Flag> {
  const p = new ProblemCollector();
  const o = expectRecord(input, '', p);
  if (o === undefined) return p.result<Flag>(undefined);
  checkUnknownFields(o, '', new Set(FLAG_FIELDS), p);
  return p.result(readFlagFields(o, '', p).flag);
}

/** Reads the flag fields of `o` (others are the caller's business) and reports their problems. */
export function readFlagFields(o: JsonRecord, path: string, p: ProblemCollector): FlagParts {
  const before = p.total;
  const at = (field: string): string => pathKey(path, field);

  const key = requirePresent(o, 'key', path, p) ? checkKey(own(o, 'key'), at('key'), p) : undefined;

  let type: FlagType | undefined;
  if (requirePresent(o, 'type', path, p)) {
    const raw = own(o, 'type');
    if (typeof raw !== 'string') p.add(at('type'), `expected string, got ${describeType(raw)}`);
    else if (!(FLAG_TYPES as readonly string[]).includes(raw)) {
      p.add(
        at('type'),
        `unknown type ${quote(raw)} (expected one of ${FLAG_TYPES.join(', ')})${didYouMean(raw, FLAG_TYPES)}`,
      );
    } else type = raw as FlagType;
  }

  let description: string | undefined;
  if (Object.hasOwn(o, 'description')) {
    description = checkString(own(o, 'description'), at('description'), p, { max: MAX_DESCRIPTION_LENGTH });
  }

  let tags: string[] | undefined;
  if (Object.hasOwn(o, 'tags')) tags = readTags(own(o, 'tags'), at('tags'), p);

  let variants: Record<string, VariantValue> | undefined;
  let variantNames: ReadonlySet<string> | null = null;
  if (requirePresent(o, 'variants', path, p)) {
    const raw = own(o, 'variants');
    if (isRecord(raw)) variantNames = new Set(Object.keys(raw));
    variants = readVariants(raw, type, at('variants'), p);
  }

  let salt: string | undefined;
  if (requirePresent(o, 'salt', path, p)) {
    const raw = own(o, 'salt');
    if (typeof raw !== 'string') p.add(at('salt'), `expected string, got ${describeType(raw)}`);
    else if (!SALT_PATTERN.test(raw)) p.add(at('salt'), 'expected exactly 32 lowercase hex digits');
    else salt = raw;
  }

  let trackExposures: boolean | undefined;
  if (Object.hasOwn(o, 'trackExposures')) {
    const raw = own(o, 'trackExposures');
    if (typeof raw !== 'boolean') p.add(at('trackExposures'), `expected boolean, got ${describeType(raw)}`);
    else trackExposures = raw;
  }

  let flag: Flag | undefined;
  if (p.total === before && key !== undefined && type !== undefined && variants !== undefined && salt !== undefined) {
    // Optional fields only when given, so a round trip does not add `description: undefined`.
    flag = {
      key,
      type,
      ...(description !== undefined ? { description } : {}),
      ...(tags !== undefined ? { tags } : {}),
      variants,
      salt,
      ...(trackExposures !== undefined ? { trackExposures } : {}),
    };
  }
  return { flag, key, variantNames };
}

function readTags(v: unknown, path: string, p: ProblemCollector): string[] | undefined {
  const list = checkArray(v, path, p, MAX_TAGS);
  if (list === undefined) return undefined;
  const before = p.total;
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const tag = checkString(list[i], pathIndex(path, i), p, { nonEmpty: true, max: MAX_TAG_LENGTH });
    if (tag !== undefined) out.push(tag);
  }
  return p.total === before ? out : undefined;
}

/** Variant names and values; values are only type-checked when the flag's type is known. */
function readVariants(
  v: unknown,
  type: FlagType | undefined,
  path: string,
  p: ProblemCollector,
): Record<string, VariantValue> | undefined {
  const o = expectRecord(v, path, p);
  if (o === undefined) return undefined;
  const names = Object.keys(o);
  if (names.length < 1 || names.length > MAX_VARIANTS) {
    p.add(path, `expected 1 to ${MAX_VARIANTS} variants, got ${names.length}`);
    return undefined;
  }
  const before = p.total;
  const out: Record<string, VariantValue> = {};
  for (const name of names) {
    if (p.full) break;
    const at = pathKey(path, name);
    const valid = checkKey(name, at, p, 'variant name') !== undefined;
    const value = type === undefined ? undefined : readVariantValue(o[name], type, at, p);
    // Names are valid keys by now, so never `__proto__`: plain assignment is safe.
    if (valid && value !== undefined) out[name] = value;
  }
  return p.total === before && type !== undefined ? out : undefined;
}

function readVariantValue(v: unknown, type: FlagType, path: string, p: ProblemCollector): VariantValue | undefined {
  switch (type) {
    case 'boolean':
    case 'string':
      if (typeof v === type) return v as boolean | string;
      break;
    case 'number':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      break;
    case 'object':
      if (isRecord(v)) return copyJsonObject(v, path, p);
      break;
  }
  p.add(path, `expected ${type}, got ${describeType(v)}`);
  return undefined;
}
