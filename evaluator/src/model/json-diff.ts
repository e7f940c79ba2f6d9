/** One changed location, as a JSON pointer (RFC 6901) with the old and new values. */
export interface DiffEntry {
  path: string;
  old?: unknown;
  new?: unknown;
  /**
   * Only on the last entry of a capped diff (path `""`): how many further changed locations
   * were left out. The audit row's `before` and `after` still hold both documents whole.
   */
  omitted?: number;
}

const escape = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The paths where `after` differs from `before`, descending into objects and arrays; an absent
 * side is omitted from the entry (added or removed). Arrays are compared index by index.
 *
 * With a `limit`, at most that many entries are listed and, when there were more, one last
 * `{path: "", omitted: n}` entry counts the rest. Entries are collected into one array passed
 * down the recursion, never spread into `push` (200,000 arguments overflow the call stack);
 * recursion depth is the documents' nesting depth, which request parsing bounds.
 */
export function jsonDiff(before: unknown, after: unknown, limit = Number.POSITIVE_INFINITY): DiffEntry[] {
  const out: DiffEntry[] = [];
  const acc = { out, limit, omitted: 0 };
  walk(before, after, '', acc);
  if (acc.omitted > 0) out.push({ path: '', omitted: acc.omitted });
  return out;
}

interface Accumulator {
  out: DiffEntry[];
  limit: number;
  omitted: number;
}

function add(acc: Accumulator, entry: DiffEntry): void {
  if (acc.out.length < acc.limit) acc.out.push(entry);
  else acc.omitted++;
}

function walk(before: unknown, after: unknown, path: string, acc: Accumulator): void {
  if (before === after) return;
  if (isObject(before) && isObject(after)) {
    const keys = new Set(Object.keys(before));
    for (const k of Object.keys(after)) keys.add(k);
    for (const k of [...keys].sort()) {
      const p = `${path}/${escape(k)}`;
      if (!(k in after) || after[k] === undefined) {
        if (before[k] !== undefined) add(acc, { path: p, old: before[k] });
      } else if (!(k in before) || before[k] === undefined) add(acc, { path: p, new: after[k] });
      else walk(before[k], after[k], p, acc);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}/${i}`;
      if (i >= after.length) add(acc, { path: p, old: before[i] });
      else if (i >= before.length) add(acc, { path: p, new: after[i] });
      else walk(before[i], after[i], p, acc);
    }
    return;
  }
  if (before === undefined || before === null) {
    if (!(after === undefined || after === null)) add(acc, { path: path || '/', new: after });
    return;
  }
  if (after === undefined || after === null) add(acc, { path: path || '/', old: before });
  else add(acc, { path: path || '/', old: before, new: after });
}
