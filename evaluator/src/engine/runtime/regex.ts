/**
 * The `matches` operator's regular expressions: RE2 syntax and semantics, matched in linear time
 * by `re2js` (pure JavaScript, no Node built-ins, so this stays browser-safe). Save-time
 * validation and evaluation both call {@link compileRegex}, so a pattern is accepted exactly when
 * the engine can run it within the limits below. Nothing here backtracks exponentially: re2js
 * runs a one-pass matcher or a bit-state matcher (see compileOne), each linear in input length x
 * program size.
 * See docs/evaluation.md ("Regular expressions") for the rules users see.
 */
import { RE2JS } from 're2js';

/** The engine never runs a regex on a longer string (UTF-16 code units): longer values do not match. */
export const MAX_REGEX_INPUT = 1024;
/** Longest accepted pattern, in UTF-16 code units. */
export const MAX_REGEX_LENGTH = 1000;
/**
 * Most instructions one condition's patterns may compile to, together (re2js `programSize()`).
 * A linear engine still pays input length x program size: the bit-state matcher visits up to
 * 64 x 1,025 (instruction, position) pairs, measured at 13-14 ns each here. Chosen by
 * measurement (2026-12-01, 2 shared cores, load 1-2; `npm run bench:engine`, corpus in
 * regex-corpus.ts): the worst single match over 310 accepted patterns x hostile 1,024-character
 * inputs was 922 µs at 64 (`[^!]{61}!` on "aaaa..."), 1,331 µs at 100 and 1,932 µs at 150;
 * `^(\w{1,20}\s?){1,50}$` (2,203 instructions) costs 17-200 ms. docs/performance.md has the latest.
 */
export const MAX_REGEX_PROGRAM = 64;

/** A compiled set of patterns: `test` is true when any of them matches somewhere in the value. */
export interface CompiledRegex {
  /** Program instructions of all patterns together (at most {@link MAX_REGEX_PROGRAM}). */
  readonly programSize: number;
  /** Unanchored search, like `RegExp.prototype.test`; never throws; false for longer inputs. */
  test(value: string): boolean;
}

/** Why a pattern (at `index` of the list, or the list as a whole when index is undefined) is refused. */
export interface RegexRefusal {
  index: number | undefined;
  message: string;
}

/**
 * Compiles the patterns of one `matches` condition. Refuses a pattern that re2js does not
 * accept (RE2 syntax: no backreferences, no lookaround), one longer than
 * {@link MAX_REGEX_LENGTH}, and patterns whose programs exceed {@link MAX_REGEX_PROGRAM} alone
 * or together. Never throws.
 */
export function compileRegex(
  patterns: readonly string[],
): { ok: true; regex: CompiledRegex } | { ok: false; refusal: RegexRefusal } {
  const compiled: RE2JS[] = [];
  let total = 0;
  for (let i = 0; i < patterns.length; i++) {
    const one = compileOne(patterns[i]!);
    if (!one.ok) return { ok: false, refusal: { index: i, message: one.message } };
    total += one.re.programSize();
    if (total > MAX_REGEX_PROGRAM) {
      return {
        ok: false,
        refusal: {
          index: undefined,
          message: `regexes too large together: their programs have ${total} instructions (at most ${MAX_REGEX_PROGRAM} per condition)`,
        },
      };
    }
    compiled.push(one.re);
  }
  return { ok: true, regex: makeMatcher(compiled, total) };
}

/** Why one pattern is refused, or undefined when it compiles within the limits (for save-time checks). */
export function regexProblem(pattern: string): string | undefined {
  const one = compileOne(pattern);
  return one.ok ? undefined : one.message;
}

function compileOne(pattern: string): { ok: true; re: RE2JS } | { ok: false; message: string } {
  // Length first: a huge pattern would be compiled for nothing and echoed in the parser's message.
  if (pattern.length > MAX_REGEX_LENGTH) {
    return { ok: false, message: `regex too long (${pattern.length} characters, at most ${MAX_REGEX_LENGTH})` };
  }
  // Compiling costs time in proportion to the program, and 1,000 characters can spell 900,000
  // instructions (`(?:abc...){1000}`: about a second). So first compile the pattern with every
  // repeat count capped at REPEAT_PROBE: that program is never larger than the real one, costs
  // at most ~8 instructions per character, and when it already exceeds the limit the real one is
  // not built. When it does not, the real program is at most MAX_REGEX_PROGRAM / REPEAT_PROBE x
  // 1,000 (RE2's repeat cap) instructions: cheap to build and measure exactly.
  const probe = probeSize(pattern);
  if (probe !== undefined && probe > MAX_REGEX_PROGRAM) {
    return {
      ok: false,
      message: `regex too large: its program has more than ${MAX_REGEX_PROGRAM} instructions (${probe} with repeat counts cut to ${REPEAT_PROBE})`,
    };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    // RE2JSSyntaxException messages read "error parsing regexp: invalid escape sequence: `\1`".
    const detail = e instanceof Error ? e.message.replace(/^error parsing regexp: /, '') : String(e);
    return { ok: false, message: `invalid regex (RE2 syntax): ${detail}${unsupportedHint(pattern)}` };
  }
  const size = re.programSize();
  if (size > MAX_REGEX_PROGRAM) {
    return {
      ok: false,
      message: `regex too large: its program has ${size} instructions (at most ${MAX_REGEX_PROGRAM})`,
    };
  }
  // No lazy DFA: re2js then runs the one-pass matcher or the bit-state matcher, which visits each
  // (instruction, position) pair at most once, so one match costs at most programSize x
  // (length + 1) steps with no memory kept between matches. The DFA is faster once warm, but
  // building its states costs far more per character: measured on hostile inputs, cold or after
  // an end user thrashes its cache, `(a|b)*a(a|b){20}$` took 1.4-4.7 ms with it (any budget from
  // 64 KB to the 8 MB default) and 0.34 ms without; `^(\w{1,8}\s?){1,7}$` 1.06 ms and 0.09 ms.
  // It would also keep up to 8 MB of states per pattern that varied inputs can fill.
  re.re2().dfa.failed = true;
  return { ok: true, re };
}

const REPEAT_PROBE = 8;

/** Program size of `pattern` with repeat counts capped at REPEAT_PROBE; undefined when that does not compile. */
function probeSize(pattern: string): number | undefined {
  const capped = pattern.replace(
    /\{(\d+)(,(\d*))?\}/g,
    (_, n: string, comma: string | undefined, m: string | undefined) => {
      const cap = (x: string): number => Math.min(Number(x), REPEAT_PROBE);
      if (comma === undefined) return `{${cap(n)}}`;
      return m === undefined || m === '' ? `{${cap(n)},}` : `{${cap(n)},${cap(m)}}`;
    },
  );
  if (capped === pattern) return undefined; // no counts to cap: the real compile is the probe
  try {
    return RE2JS.compile(capped).programSize();
  } catch {
    return undefined; // let the real compile report the problem in the pattern's own terms
  }
}

// The two JavaScript features people reach for that RE2 leaves out on purpose (they need
// backtracking); re2js's own message for them ("invalid named capture") does not say so.
function unsupportedHint(pattern: string): string {
  if (/\(\?<?[=!]/.test(pattern)) return ' (lookahead and lookbehind are not supported)';
  if (/\\[1-9]|\\k</.test(pattern)) return ' (backreferences are not supported)';
  return '';
}

function makeMatcher(compiled: RE2JS[], programSize: number): CompiledRegex {
  if (compiled.length === 1) {
    const only = compiled[0]!;
    return {
      programSize,
      test: (v) => v.length <= MAX_REGEX_INPUT && safeTest(only, v),
    };
  }
  return {
    programSize,
    test: (v) => {
      if (v.length > MAX_REGEX_INPUT) return false;
      for (let i = 0; i < compiled.length; i++) if (safeTest(compiled[i]!, v)) return true;
      return false;
    },
  };
}

// re2js does not throw on a string input; the guard keeps the engine's "never throws" promise
// even if a future version does (an error counts as no match).
function safeTest(re: RE2JS, v: string): boolean {
  try {
    return re.test(v);
  } catch {
    return false;
  }
}
