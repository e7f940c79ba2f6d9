/**
 * The audit log page's filters: read from the URL (a GET form), sent to GET /api/v1/audit, and
 * kept in the "Older entries" link. Times are entered in UTC (the log shows UTC) with
 * datetime-local inputs and sent as ISO-8601; a value that is not a datetime-local one is sent as
 * typed, so the API judges it (400 INVALID_PARAMETER, shown on the page).
 */

export const FILTER_NAMES = ['project', 'environment', 'flag', 'actor', 'action', 'from', 'to'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];
export type AuditFilters = Partial<Record<FilterName, string>>;

export const PAGE_SIZE = 50;

type Search = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The filters the URL names, trimmed; empty fields (a submitted form's blanks) are no filter. */
export function readFilters(sp: Search): AuditFilters {
  const out: AuditFilters = {};
  for (const name of FILTER_NAMES) {
    const v = first(sp[name])?.trim();
    if (v) out[name] = v;
  }
  return out;
}

export function readCursor(sp: Search): string | undefined {
  return first(sp.cursor)?.trim() || undefined;
}

const LOCAL = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d{1,3})?)?$/;

/**
 * A datetime-local value (`2025-12-02T14:05`, read as UTC) as ISO-8601. `to` bounds are
 * inclusive, so a `to` given to the minute (or second) means the end of that minute (second).
 * Anything else is returned unchanged for the API to accept (it takes ISO with an offset) or refuse.
 */
export function toIso(value: string, bound: 'from' | 'to'): string {
  const m = LOCAL.exec(value);
  if (!m) return value;
  const [, date, hm, sec, ms] = m;
  if (sec === undefined) return `${date}T${hm}${bound === 'to' ? ':59.999' : ':00.000'}Z`;
  if (ms === undefined) return `${date}T${hm}${sec}${bound === 'to' ? '.999' : '.000'}Z`;
  return `${date}T${hm}${sec}Z`;
}

/** The value a datetime-local input shows for a filter value (UTC); '' when it is not a time. */
export function toLocalInput(value: string | undefined): string {
  if (!value) return '';
  if (LOCAL.test(value)) return value;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime())) return '';
  return d.toISOString().slice(0, 19);
}

/** GET /api/v1/audit's query for these filters. */
export function apiQuery(f: AuditFilters, cursor: string | undefined, limit = PAGE_SIZE): URLSearchParams {
  const q = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const v = f[name];
    if (v === undefined) continue;
    q.set(name, name === 'from' || name === 'to' ? toIso(v, name) : v);
  }
  if (cursor) q.set('cursor', cursor);
  q.set('limit', String(limit));
  return q;
}

/** The audit page's URL with these filters (as the form submitted them) and a cursor. */
export function pageHref(f: AuditFilters, cursor?: string): string {
  const q = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const v = f[name];
    if (v !== undefined) q.set(name, v);
  }
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return s ? `/audit?${s}` : '/audit';
}
