/**
 * Stable DOM ids for the editor's fields, derived from their config paths (the paths the API's
 * problems name), and the matching of problems to fields.
 */

/** The id of the field that edits `path` (`rules[0].conditions[1].op` -> `field-rules[0].conditions[1].op`). */
export function fieldIdOf(path: string): string {
  // Ids may hold any character but whitespace (aria-describedby lists are whitespace-separated).
  return path === '' ? 'field-root' : `field-${path.replace(/\s/g, '_')}`;
}

/** The id of the message that describes the problems at `path`. */
export function problemIdOf(path: string): string {
  return `${fieldIdOf(path)}-problem`;
}

/** `rules[0].conditions[1].values[2]` -> `rules[0].conditions[1].values` -> ... -> `rules` -> `''`. */
export function parentPath(path: string): string {
  const m = /^(.*?)(?:\.[^.[\]]+|\[[^\]]*\])$/.exec(path);
  return m === null ? '' : m[1]!;
}

export interface PlacedProblem {
  /** The API's path. */
  path: string;
  message: string;
}

/**
 * Places each problem at the field whose path is the problem's path or its nearest ancestor
 * (a problem at `rules[0].conditions[1].values[2]` belongs to the values field of that
 * condition). Problems no field owns come back in `unplaced`, for a list at the top.
 */
export function placeProblems(
  problems: readonly PlacedProblem[],
  fields: ReadonlySet<string>,
): { byField: Map<string, PlacedProblem[]>; unplaced: PlacedProblem[] } {
  const byField = new Map<string, PlacedProblem[]>();
  const unplaced: PlacedProblem[] = [];
  for (const problem of problems) {
    let at: string | undefined;
    for (let p = problem.path; p !== ''; p = parentPath(p)) {
      if (fields.has(p)) {
        at = p;
        break;
      }
    }
    if (at === undefined) {
      unplaced.push(problem);
      continue;
    }
    const list = byField.get(at);
    if (list === undefined) byField.set(at, [problem]);
    else list.push(problem);
  }
  return { byField, unplaced };
}
