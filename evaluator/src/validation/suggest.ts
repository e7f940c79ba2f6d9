/** "Did you mean" hints for near-miss names (operators, fields, variants). */

/**
 * ` (did you mean "x"?)` when `input` is a near miss of exactly one candidate: the same letters
 * in another case, or a few edits away (two for names of 4+ characters, one for 3), else `''`.
 * A tie between candidates suggests nothing rather than guess.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  // Long inputs are not typos of short names; skipping them also bounds the edit-distance cost.
  if (input.length === 0 || input.length > 64) return '';
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const c of candidates) {
    if (c === input) return '';
    const limit = c.length >= 4 ? 2 : c.length === 3 ? 1 : 0;
    const d = c.toLowerCase() === lower ? 0 : limit > 0 ? editDistance(lower, c.toLowerCase(), limit) : Infinity;
    if (d > limit) continue;
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) {
      tie = true;
    }
  }
  return best !== undefined && !tie ? ` (did you mean ${JSON.stringify(best)}?)` : '';
}

/** Levenshtein distance, or `limit + 1` as soon as it is known to exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      row.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length] ?? limit + 1;
}
