/** What the flags-as-code page, its form and its action share (no server-only code). */
import type { ApiError } from '../../../../../../lib/admin-api.ts';

/** The API refuses import bodies above 10 MiB (413); the console says so before sending one. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

export type FlagChange = 'created' | 'updated' | 'unchanged' | 'archived';
export type SegmentChange = 'created' | 'updated' | 'unchanged' | 'deleted';

/** The API's answer to an import, dry run or not (docs/api.md "Flags-as-code"). */
export interface ImportResult {
  dryRun: boolean;
  environment: string;
  flags: Record<string, FlagChange>;
  segments: Record<string, SegmentChange>;
  summary: { flags: Record<FlagChange, number>; segments: Record<SegmentChange, number> };
  needs?: { projectWide: string[]; approval: string[] };
}

export type ImportOutcome = { ok: true; result: ImportResult } | { ok: false; error: ApiError };

export interface ImportRequest {
  project: string;
  environment: string;
  document: string;
  dryRun: boolean;
}

/** JSON when the document starts with `{` (after blanks), YAML otherwise. */
export function contentTypeOf(document: string): 'application/json' | 'application/yaml' {
  return document.trimStart().startsWith('{') ? 'application/json' : 'application/yaml';
}

export function utf8Bytes(s: string): number {
  return new TextEncoder().encode(s).length;
}

export interface ChangeRow {
  kind: 'flag' | 'segment';
  key: string;
  change: string;
}

const ORDER = ['created', 'updated', 'archived', 'deleted', 'unchanged'];

/** The rows of the diff table: changes first (created, updated, archived/deleted), then by key; unchanged left out. */
export function changeRows(r: ImportResult): { rows: ChangeRow[]; unchanged: { flags: number; segments: number } } {
  const all: ChangeRow[] = [
    ...Object.entries(r.flags).map(([key, change]) => ({ kind: 'flag' as const, key, change })),
    ...Object.entries(r.segments).map(([key, change]) => ({ kind: 'segment' as const, key, change })),
  ];
  const rows = all
    .filter((x) => x.change !== 'unchanged')
    .sort(
      (a, b) =>
        ORDER.indexOf(a.change) - ORDER.indexOf(b.change) ||
        a.kind.localeCompare(b.kind) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
  const count = (kind: ChangeRow['kind']) => all.filter((x) => x.kind === kind && x.change === 'unchanged').length;
  return { rows, unchanged: { flags: count('flag'), segments: count('segment') } };
}
