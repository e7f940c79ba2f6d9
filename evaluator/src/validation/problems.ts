/**
 * Problems found in untrusted input, and the collector every schema writes them to.
 * Validation never throws: everything wrong with an input comes back as data, with a path that
 * names the offending value so a UI can point at it.
 */

/** One thing wrong with an input. `path` is like `rules[2].conditions[0].op`; `''` is the root. */
export interface Problem {
  path: string;
  message: string;
}

/** The outcome of validating untrusted input: a fresh, clean value, or every problem found. */
export type Validated<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/**
 * At most this many problems are reported, so a hostile input (a million unknown fields) cannot
 * produce megabytes of errors. When there are more, the last slot says so.
 */
export const MAX_PROBLEMS = 100;

/** `path: message`, or just the message for a problem at the root. */
export function formatProblem(p: Problem): string {
  return p.path === '' ? p.message : `${p.path}: ${p.message}`;
}

/**
 * Accumulates problems up to {@link MAX_PROBLEMS}. `total` keeps counting past the cap, so a
 * schema can tell whether a sub-part added problems by comparing `total` before and after.
 */
export class ProblemCollector {
  private readonly list: Problem[] = [];
  /** Problems found so far, including those beyond the cap. */
  total = 0;

  /** Records a problem at `path`. */
  add(path: string, message: string): void {
    this.total++;
    if (this.list.length < MAX_PROBLEMS) this.list.push({ path, message });
    // Beyond the cap only the count moves: a caller that keeps adding costs no memory.
  }

  /**
   * True once more problems were found than can be reported: loops over huge inputs stop early
   * then, so `total` is a lower bound from that point on.
   */
  get full(): boolean {
    return this.total > MAX_PROBLEMS;
  }

  /** The reported problems: all of them, or the first 99 and a note saying there were more. */
  problems(): Problem[] {
    if (this.total <= MAX_PROBLEMS) return this.list.slice();
    const shown = this.list.slice(0, MAX_PROBLEMS - 1);
    shown.push({ path: '', message: `too many problems; only the first ${MAX_PROBLEMS - 1} are listed` });
    return shown;
  }

  /** The final outcome: the value when nothing at all was wrong, else the problems. */
  result<T>(value: T | undefined): Validated<T> {
    if (this.total === 0 && value !== undefined) return { ok: true, value };
    if (this.total === 0) {
      // A schema that returns no value must have said why; this guards against a silent bug.
      return { ok: false, problems: [{ path: '', message: 'invalid input' }] };
    }
    return { ok: false, problems: this.problems() };
  }
}

// Path segments that read unambiguously after a dot; anything else (a dot in a flag key, spaces,
// a hostile 1 MB key) is shown quoted in brackets, truncated.
const PLAIN_SEGMENT = /^[A-Za-z0-9_$-]{1,64}$/;

/** `base.key`, or `base["odd key"]` when the key would be ambiguous after a dot. */
export function pathKey(base: string, key: string): string {
  if (PLAIN_SEGMENT.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${quote(key)}]`;
}

/** `base[index]`. */
export function pathIndex(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** A user-supplied string for a message: JSON-quoted and cut to `max` characters. */
export function quote(s: string, max = 64): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** The JSON type name of a value, for `expected X, got Y` messages. */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}
