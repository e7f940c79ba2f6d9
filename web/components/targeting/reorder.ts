/** List edits for the editor's ordered lists (rules, conditions, prerequisites, split slices). */

/** A copy of `list` with the item at `from` moved to `to` (clamped); the same list when nothing moves. */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const target = Math.max(0, Math.min(list.length - 1, to));
  if (from < 0 || from >= list.length || target === from) return list.slice();
  const out = list.slice();
  const [item] = out.splice(from, 1);
  out.splice(target, 0, item as T);
  return out;
}

/** A copy of `list` without the item at `index`. */
export function removeItem<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

/** A copy of `list` with the item at `index` replaced. */
export function replaceItem<T>(list: readonly T[], index: number, item: T): T[] {
  return list.map((x, i) => (i === index ? item : x));
}
