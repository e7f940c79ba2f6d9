/**
 * Metric definitions: what a project measures a flag's impact by. A definition is PromQL
 * templates over `{{flag}}`, `{{variant}}`, `{{environment}}` and `{{window}}`, queried once per
 * variant by the impact API (impact/). A ratio is two counts (numerator / denominator, e.g.
 * conversions per exposure or errors per request), so the controller can put a confidence
 * interval on the treatment - control difference; a quantile is one value per variant (a latency
 * quantile, or any gauge-like query).
 */
import type { Problem } from '@flagship/evaluator';
import { ENTITY_KEY, SLUG } from '../http/params.ts';
import { TEMPLATE_PLACEHOLDERS } from '../rollouts/policy/policy.ts';

export type MetricKind = 'ratio' | 'quantile';
export type MetricDirection = 'higher' | 'lower';

interface MetricCommon {
  key: string;
  name: string;
  description?: string;
  better: MetricDirection;
  /** Shown beside values ("%", "ms", "req/s"); free text. */
  unit?: string;
  /** The flags it is measured for; absent or empty: offered for every flag of the project. */
  flags?: string[];
}

export interface RatioMetricDefinition extends MetricCommon {
  kind: 'ratio';
  numerator: string;
  denominator: string;
}

export interface QuantileMetricDefinition extends MetricCommon {
  kind: 'quantile';
  query: string;
}

export type MetricDefinition = RatioMetricDefinition | QuantileMetricDefinition;

/** The templates of a definition by field name (what the impact API resolves). */
export const templatesOf = (d: MetricDefinition): Record<string, string> =>
  d.kind === 'ratio' ? { numerator: d.numerator, denominator: d.denominator } : { query: d.query };

export const METRIC_LIMITS = {
  name: 200,
  description: 2000,
  unit: 32,
  template: 4000,
  flags: 1000,
} as const;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Problems of one PromQL template: empty, too long, unknown or malformed placeholders, no `{{variant}}`. */
export function templateProblems(template: string, path: string): Problem[] {
  if (template.trim() === '') return [{ path, message: 'must not be empty' }];
  if (template.length > METRIC_LIMITS.template)
    return [{ path, message: `must be at most ${METRIC_LIMITS.template} characters` }];
  const problems: Problem[] = [];
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name!))
      problems.push({
        path,
        message: `unknown placeholder {{${name}}}: use ${TEMPLATE_PLACEHOLDERS.map((x) => `{{${x}}}`).join(', ')}`,
      });
  }
  // What is left once the placeholders are gone must hold no brace pair: `{{flag}` or `{{ flag`
  // would otherwise reach Prometheus as literal text and fail there, far from the definition.
  if (/\{\{|\}\}/.test(template.replace(PLACEHOLDER, '')))
    problems.push({ path, message: 'has an unclosed or malformed {{placeholder}}' });
  // Every query is asked once per variant: without {{variant}} both arms would get the same number.
  if (!/\{\{\s*variant\s*\}\}/.test(template))
    problems.push({ path, message: 'must use {{variant}}: it is queried once per variant' });
  return problems;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * A definition from a request body whose field types were checked (400) already, with every
 * problem (422) by path; `key` comes from the body (create) or the path (replace).
 */
export function validateMetricDefinition(
  key: string,
  input: Record<string, unknown>,
): { ok: true; value: MetricDefinition } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!SLUG.test(key)) add('key', `must match ${SLUG} (lowercase letters, digits and dashes)`);
  const { name, description, kind, better, unit, flags } = input;
  if (!isString(name) || name.trim() === '') add('name', 'is required and must not be empty');
  else if (name.length > METRIC_LIMITS.name) add('name', `must be at most ${METRIC_LIMITS.name} characters`);
  if (description !== undefined && (!isString(description) || description.length > METRIC_LIMITS.description))
    add('description', `must be a string of at most ${METRIC_LIMITS.description} characters`);
  if (kind !== 'ratio' && kind !== 'quantile') add('kind', 'must be ratio or quantile');
  if (better !== 'higher' && better !== 'lower') add('better', 'must be higher or lower');
  if (unit !== undefined && (!isString(unit) || unit.length > METRIC_LIMITS.unit || /[\r\n]/.test(unit)))
    add('unit', `must be one line of at most ${METRIC_LIMITS.unit} characters`);
  if (flags !== undefined) {
    if (!Array.isArray(flags) || flags.length > METRIC_LIMITS.flags)
      add('flags', `must be an array of at most ${METRIC_LIMITS.flags} flag keys`);
    else {
      const seen = new Set<string>();
      flags.forEach((f, i) => {
        if (!isString(f) || !ENTITY_KEY.test(f)) add(`flags[${i}]`, 'must be a flag key');
        else if (seen.has(f)) add(`flags[${i}]`, `duplicate flag ${f}`);
        else seen.add(f);
      });
    }
  }
  const fields = kind === 'ratio' ? ['numerator', 'denominator'] : kind === 'quantile' ? ['query'] : [];
  const other = kind === 'ratio' ? ['query'] : kind === 'quantile' ? ['numerator', 'denominator'] : [];
  for (const f of fields) {
    const t = input[f];
    if (!isString(t)) add(f, `is required for a ${String(kind)} metric`);
    else problems.push(...templateProblems(t, f));
  }
  for (const f of other) if (input[f] !== undefined) add(f, `is not used by a ${String(kind)} metric: remove it`);
  if (problems.length > 0) return { ok: false, problems };

  const common = {
    key,
    name: (name as string).trim(),
    better: better as MetricDirection,
    ...(description !== undefined ? { description: description as string } : {}),
    ...(unit !== undefined ? { unit: unit as string } : {}),
    ...(flags !== undefined ? { flags: flags as string[] } : {}),
  };
  const value: MetricDefinition =
    kind === 'ratio'
      ? { ...common, kind, numerator: input.numerator as string, denominator: input.denominator as string }
      : { ...common, kind: 'quantile', query: input.query as string };
  return { ok: true, value };
}

/** Whether a definition is offered for a flag: no list, an empty list, or a list naming it. */
export const offeredFor = (d: MetricDefinition, flagKey: string): boolean =>
  d.flags === undefined || d.flags.length === 0 || d.flags.includes(flagKey);
