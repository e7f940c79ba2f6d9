/**
 * The create-a-flag form's fields turned into the body of POST /projects/:p/flags: pure, so the
 * server action and its unit tests agree. Problems use the API's paths (`variants.blue`), so the
 * form shows its own findings and the API's the same way.
 */
import type { FlagType, VariantValue } from '@flagship/evaluator';

export interface CreateFlagFields {
  key: string;
  description: string;
  /** Comma separated. */
  tags: string;
  type: string;
  /** Rows of the variants table (ignored for boolean flags: on = true, off = false). */
  variants: Array<{ name: string; value: string }>;
}

export interface CreateFlagBody {
  key: string;
  type: FlagType;
  description?: string;
  tags?: string[];
  variants: Record<string, VariantValue>;
}

export interface FieldProblem {
  path: string;
  message: string;
}

const TYPES: readonly string[] = ['boolean', 'string', 'number', 'object'];

/** Tags from `a, b,,c ` (trimmed, empty ones dropped, duplicates once). */
export function parseTags(raw: string): string[] {
  return [...new Set(raw.split(',').map((t) => t.trim()))].filter((t) => t !== '');
}

function variantValue(type: string, raw: string): { ok: true; value: VariantValue } | { ok: false; message: string } {
  if (type === 'string') return { ok: true, value: raw };
  if (type === 'number') {
    const n = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(n)) return { ok: false, message: 'must be a number' };
    return { ok: true, value: n };
  }
  try {
    const v = JSON.parse(raw) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return { ok: false, message: 'must be a JSON object, like {"color": "blue"}' };
    return { ok: true, value: v as VariantValue };
  } catch {
    return { ok: false, message: 'is not valid JSON' };
  }
}

/** The body, or the problems of the fields (the API validates the rest: key format, sizes). */
export function createBody(
  f: CreateFlagFields,
): { ok: true; body: CreateFlagBody } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const key = f.key.trim();
  if (key === '') problems.push({ path: 'key', message: 'enter a key' });
  if (!TYPES.includes(f.type)) problems.push({ path: 'type', message: `must be one of ${TYPES.join(', ')}` });
  let variants: Record<string, VariantValue> = {};
  if (f.type === 'boolean') variants = { on: true, off: false };
  else if (TYPES.includes(f.type)) {
    f.variants.forEach((row, i) => {
      const name = row.name.trim();
      if (name === '' && row.value.trim() === '') return;
      if (name === '') {
        problems.push({ path: `variants[${i}]`, message: 'a variant needs a name' });
        return;
      }
      if (name in variants) {
        problems.push({ path: `variants.${name}`, message: 'two variants have this name' });
        return;
      }
      const v = variantValue(f.type, row.value);
      if (v.ok) variants[name] = v.value;
      else problems.push({ path: `variants.${name}`, message: v.message });
    });
    if (Object.keys(variants).length === 0 && problems.every((p) => !p.path.startsWith('variants')))
      problems.push({ path: 'variants', message: 'add at least one variant' });
  }
  if (problems.length > 0) return { ok: false, problems };
  const tags = parseTags(f.tags);
  const description = f.description.trim();
  return {
    ok: true,
    body: {
      key,
      type: f.type as FlagType,
      ...(description ? { description } : {}),
      ...(tags.length > 0 ? { tags } : {}),
      variants,
    },
  };
}
