/**
 * "Reapply my edit on top": the user's edit, as the diff entries (JSON pointers) between the
 * version they started from and their draft, applied onto the config someone saved meanwhile.
 * Pure and browser-safe: the conflict panel calls it, unit tests pin it.
 *
 * An entry with `new` sets that location (creating missing parents: arrays for numeric tokens,
 * objects otherwise; an array index past the end appends); an entry without `new` removes it
 * (an array element is spliced out). Removals run after the sets, last pointer first, so removing
 * `/rules/1` and `/rules/2` removes both original elements rather than shifting one onto the other.
 */
import { jsonDiff, type DiffEntry } from '@flagship/evaluator';

type Json = unknown;
type Container = Record<string, Json> | Json[];

const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** The tokens of a JSON pointer (RFC 6901); `''` and `'/'` (jsonDiff's root) are the document. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const isIndex = (t: string) => /^(0|[1-9][0-9]*)$/.test(t);

/** The value at `pointer`, or undefined when a part of the path is missing. */
export function getAt(doc: Json, pointer: string): Json {
  let cur: Json = doc;
  for (const t of pointerTokens(pointer)) {
    if (Array.isArray(cur)) {
      if (!isIndex(t)) return undefined;
      cur = cur[Number(t)];
    } else if (isContainer(cur)) {
      cur = Object.prototype.hasOwnProperty.call(cur, t) ? (cur as Record<string, Json>)[t] : undefined;
    } else return undefined;
  }
  return cur;
}

/** Sets `value` at `pointer` in `doc` (mutates; returns the document, a new one for the root). */
export function setAt(doc: Json, pointer: string, value: Json): Json {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) return value;
  let root = doc;
  if (!isContainer(root)) root = isIndex(tokens[0]!) ? [] : {};
  let cur = root as Container;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const last = i === tokens.length - 1;
    const next = tokens[i + 1];
    if (Array.isArray(cur)) {
      // A non-index token into an array cannot be placed: the edit is dropped rather than guessed.
      if (!isIndex(t) && t !== '-') return root;
      const at = t === '-' ? cur.length : Math.min(Number(t), cur.length);
      if (last) {
        cur[at] = value;
        return root;
      }
      if (!isContainer(cur[at])) cur[at] = isIndex(next!) ? [] : {};
      cur = cur[at] as Container;
    } else {
      if (last) {
        cur[t] = value;
        return root;
      }
      if (!isContainer(cur[t])) cur[t] = isIndex(next!) ? [] : {};
      cur = cur[t] as Container;
    }
  }
  return root;
}

/** Removes the location at `pointer` (an array element is spliced out); missing paths are a no-op. */
export function removeAt(doc: Json, pointer: string): Json {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) return undefined;
  const parent = getAt(doc, tokens.length === 1 ? '' : pointerOf(tokens.slice(0, -1)));
  const t = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    if (isIndex(t) && Number(t) < parent.length) parent.splice(Number(t), 1);
  } else if (isContainer(parent)) delete (parent as Record<string, Json>)[t];
  return doc;
}

export function pointerOf(tokens: string[]): string {
  return tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Applies diff entries onto a copy of `doc` (see the module comment for the rules). */
export function applyDiff<T>(doc: T, entries: readonly DiffEntry[]): T {
  let out: Json = structuredClone(doc);
  const listed = entries.filter((e) => e.omitted === undefined);
  for (const e of listed) if ('new' in e && e.new !== undefined) out = setAt(out, e.path, structuredClone(e.new));
  const removals = listed.filter((e) => !('new' in e) || e.new === undefined);
  for (const e of [...removals].reverse()) out = removeAt(out, e.path);
  return out as T;
}

export interface Reapplied<T> {
  /** `current` with the user's edit applied on top. */
  value: T;
  /** The user's edit: what they changed from `base`. */
  mine: DiffEntry[];
  /** What others changed meanwhile: from `base` to `current`. */
  theirs: DiffEntry[];
  /** Pointers both sides changed, where the result keeps the user's value: worth a second look. */
  overlapping: string[];
}

const within = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** The user's edit (`base` -> `draft`) reapplied onto `current`, with both diffs and their overlap. */
export function reapply<T>(base: T, draft: T, current: T): Reapplied<T> {
  const mine = jsonDiff(base, draft);
  const theirs = jsonDiff(base, current);
  const overlapping = mine
    .filter((m) => m.omitted === undefined && theirs.some((t) => t.omitted === undefined && within(m.path, t.path)))
    .map((m) => m.path);
  return { value: applyDiff(current, mine), mine, theirs, overlapping };
}
