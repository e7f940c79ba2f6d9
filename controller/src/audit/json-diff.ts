/** One changed location, as a JSON pointer (RFC 6901) with the old and new values. */
export interface DiffEntry {
  path: string;
  old?: unknown;
  new?: unknown;
}

const escape = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The paths where `after` differs from `before`, descending into objects and arrays; an absent
 * side is omitted from the entry (added or removed). Arrays are compared index by index.
 */
export function jsonDiff(before: unknown, after: unknown, path = ''): DiffEntry[] {
  if (before === after) return [];
  if (isObject(before) && isObject(after)) {
    const out: DiffEntry[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) {
      const p = `${path}/${escape(k)}`;
      if (!(k in after) || after[k] === undefined) { if (before[k] !== undefined) out.push({ path: p, old: before[k] }); }
      else if (!(k in before) || before[k] === undefined) out.push({ path: p, new: after[k] });
      else out.push(...jsonDiff(before[k], after[k], p));
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: DiffEntry[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = `${path}/${i}`;
      if (i >= after.length) out.push({ path: p, old: before[i] });
      else if (i >= before.length) out.push({ path: p, new: after[i] });
      else out.push(...jsonDiff(before[i], after[i], p));
    }
    return out;
  }
  if (before === undefined || before === null) return after === undefined || after === null ? [] : [{ path: path || '/', new: after }];
  if (after === undefined || after === null) return [{ path: path || '/', old: before }];
  return [{ path: path || '/', old: before, new: after }];
}
