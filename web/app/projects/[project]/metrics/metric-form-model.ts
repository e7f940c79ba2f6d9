/**
 * The metric definition editor's draft, the body it sends, and where the API's problems belong:
 * pure functions, shared by the form (client), its server action and the pages.
 */
import type { MetricDefinitionView } from '../../../../lib/impact-types.ts';

/** GET /projects/{p}/metrics(/{key}) as the console reads it: the project's own carry a version. */
export type MetricView = MetricDefinitionView & { readOnly: boolean; version?: number };

export type MetricKind = 'ratio' | 'quantile';

export interface MetricDraft {
  key: string;
  name: string;
  description: string;
  kind: MetricKind;
  better: 'higher' | 'lower';
  unit: string;
  /** Flag keys separated by commas or line breaks; empty: every flag. */
  flags: string;
  /** All three templates are kept while the kind switches; only the kind's are sent. */
  numerator: string;
  denominator: string;
  query: string;
}

export interface MetricBody {
  key?: string;
  name: string;
  description?: string;
  kind: MetricKind;
  better: 'higher' | 'lower';
  unit?: string;
  flags?: string[];
  numerator?: string;
  denominator?: string;
  query?: string;
}

export function draftOf(m: MetricDefinitionView | undefined): MetricDraft {
  return {
    key: m?.key ?? '',
    name: m?.name ?? '',
    description: m?.description ?? '',
    kind: m?.kind ?? 'ratio',
    better: m?.better ?? 'higher',
    unit: m?.unit ?? '',
    flags: (m?.flags ?? []).join(', '),
    numerator: m?.numerator ?? '',
    denominator: m?.denominator ?? '',
    query: m?.query ?? '',
  };
}

/** The flag keys of a comma/line list, trimmed, empty entries dropped (duplicates are the API's to report). */
export const flagList = (text: string): string[] =>
  text
    .split(/[,\r\n]/)
    .map((f) => f.trim())
    .filter((f) => f !== '');

/**
 * The body POST/PUT …/metrics take. Empty optional fields are left out (an empty flag list and
 * none both mean "every flag"); templates are sent as typed, since whitespace is PromQL's.
 */
export function bodyOf(d: MetricDraft): MetricBody {
  const flags = flagList(d.flags);
  return {
    name: d.name.trim(),
    ...(d.description.trim() !== '' ? { description: d.description.trim() } : {}),
    kind: d.kind,
    better: d.better,
    ...(d.unit.trim() !== '' ? { unit: d.unit.trim() } : {}),
    ...(flags.length > 0 ? { flags } : {}),
    ...(d.kind === 'ratio' ? { numerator: d.numerator, denominator: d.denominator } : { query: d.query }),
  };
}

/** Field ids of the form (also what a problem's path is mapped to). */
export const fieldId = {
  key: 'metric-key',
  name: 'metric-name',
  description: 'metric-description',
  kind: 'metric-kind',
  better: 'metric-better',
  unit: 'metric-unit',
  flags: 'metric-flags',
  numerator: 'metric-numerator',
  denominator: 'metric-denominator',
  query: 'metric-query',
} as const;

type Field = keyof typeof fieldId;
const FIELDS = Object.keys(fieldId) as Field[];

/** The field an API problem path names (`numerator`, `flags[2]`); undefined = the form as a whole. */
export function fieldOfPath(path: string): string | undefined {
  const head = /^[a-z]+/i.exec(path)?.[0];
  return FIELDS.includes(head as Field) ? fieldId[head as Field] : undefined;
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

/** What the list and the read-only view say about `flags`. */
export const flagsText = (flags: string[] | undefined): string =>
  flags && flags.length > 0 ? flags.join(', ') : 'every flag';
