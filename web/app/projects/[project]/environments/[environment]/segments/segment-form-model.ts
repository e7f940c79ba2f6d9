/**
 * The segment editor's draft and the body it sends, and where the API's problems belong: pure
 * functions, shared by the form (client) and its server action.
 */
import { type Condition, type Operator, OPERATORS, type Segment } from '@flagship/evaluator';

/** A segment's rules may not test segments (the API refuses them: "segments cannot reference segments"). */
export const SEGMENT_RULE_OPERATORS: readonly Operator[] = OPERATORS.filter(
  (op) => op !== 'inSegment' && op !== 'notInSegment',
);
const NUMERIC: ReadonlySet<string> = new Set(['lt', 'lte', 'gt', 'gte']);

export interface DraftCondition {
  attribute: string;
  op: string;
  /** One value per line. */
  values: string;
}
export interface DraftRule {
  conditions: DraftCondition[];
}
export interface SegmentDraft {
  key: string;
  description: string;
  /** One key per line. */
  included: string;
  excluded: string;
  rules: DraftRule[];
}

export type SegmentBody = Omit<Segment, 'version' | 'key'> & { key?: string };

export const emptyCondition = (): DraftCondition => ({ attribute: '', op: 'in', values: '' });

export function draftOf(s: Segment | undefined): SegmentDraft {
  if (!s) return { key: '', description: '', included: '', excluded: '', rules: [] };
  return {
    key: s.key,
    description: s.description ?? '',
    included: s.included.join('\n'),
    excluded: s.excluded.join('\n'),
    rules: s.rules.map((r) => ({
      conditions: r.conditions.map((c) => ({ attribute: c.attribute, op: c.op, values: c.values.join('\n') })),
    })),
  };
}

/** Non-empty trimmed lines. */
export const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** The values of a condition: numbers for the numeric comparisons (when they read as numbers), else strings. */
export function valuesOf(op: string, text: string): Array<string | number> {
  return lines(text).map((v) => (NUMERIC.has(op) && v !== '' && Number.isFinite(Number(v)) ? Number(v) : v));
}

/** The body POST/PUT …/segments (and a segment change request's `segment`) take. */
export function bodyOf(d: SegmentDraft): SegmentBody {
  return {
    ...(d.description.trim() !== '' ? { description: d.description.trim() } : {}),
    included: lines(d.included),
    excluded: lines(d.excluded),
    rules: d.rules.map((r) => ({
      conditions: r.conditions.map((c) => ({
        attribute: c.attribute.trim(),
        op: c.op as Condition['op'],
        values: valuesOf(c.op, c.values),
      })),
    })),
  };
}

/** Field ids of the form (also what a problem's path is mapped to). */
export const fieldId = {
  key: 'seg-key',
  description: 'seg-description',
  included: 'seg-included',
  excluded: 'seg-excluded',
  rule: (r: number) => `seg-rule-${r}`,
  condition: (r: number, c: number, part: 'attribute' | 'op' | 'values') => `seg-rule-${r}-cond-${c}-${part}`,
};

/**
 * The field an API problem path names (`included[0]`, `rules[0].conditions[1].op`, with or
 * without a change request's `segment.` prefix); undefined = the form as a whole.
 */
export function fieldOfPath(path: string): string | undefined {
  const p = path.startsWith('segment.') ? path.slice('segment.'.length) : path;
  if (/^key\b/.test(p) || p === 'segmentKey') return fieldId.key;
  if (/^description\b/.test(p)) return fieldId.description;
  if (/^included\b/.test(p)) return fieldId.included;
  if (/^excluded\b/.test(p)) return fieldId.excluded;
  const cond = /^rules\[(\d+)\]\.conditions\[(\d+)\](?:\.(attribute|op|values))?/.exec(p);
  if (cond) {
    const part = (cond[3] as 'attribute' | 'op' | 'values' | undefined) ?? 'attribute';
    return fieldId.condition(Number(cond[1]), Number(cond[2]), part);
  }
  const rule = /^rules\[(\d+)\]/.exec(p);
  if (rule) return fieldId.rule(Number(rule[1]));
  return undefined;
}

/** Problems grouped by field id; those naming no field under `''`. */
export function problemsByField(problems: Array<{ path: string; message: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of problems) {
    const id = fieldOfPath(p.path) ?? '';
    out.set(id, [...(out.get(id) ?? []), p.path ? `${p.path}: ${p.message}` : p.message]);
  }
  return out;
}
