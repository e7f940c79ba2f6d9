/**
 * Static screening of `matches` patterns for catastrophic backtracking. The engine runs patterns
 * in V8's irregexp, a backtracking engine, on attribute values an end user may control, so a
 * pattern accepted here must not be able to stall evaluation. The analysis is deliberately
 * conservative: it rejects some harmless patterns rather than accept a dangerous one.
 *
 * Measured with node 20 on 1,024-character inputs: `(a{1,5})+b` 5.6 s, `(a|a){25}b` 2.6 s,
 * `.*.*.*x` 151 s, `.*.*x` 0.48 s, `^.*.*x` 1.5 ms, `.*x` 1.4 ms. Hence the rules below,
 * including one the brief did not list: overlapping unbounded quantifiers (see `checkOverlap`).
 */

/** The engine never runs a regex on a longer string: longer attribute values do not match. */
export const MAX_REGEX_INPUT = 1024;
/** Longest accepted pattern, in UTF-16 code units. */
export const MAX_REGEX_LENGTH = 1000;
/** Largest count allowed in `{n}`, `{n,}` and `{n,m}`. */
export const MAX_REGEX_REPEAT = 1000;
/** Most unbounded quantifiers (`*`, `+`, `{n,}`) one pattern may have. */
export const MAX_UNBOUNDED_QUANTIFIERS = 3;

const CATASTROPHIC = 'regex may backtrack catastrophically';

/**
 * Checks a pattern (as `new RegExp(pattern)` reads it: no flags, Annex B syntax) against the
 * rules, and names the first one it breaks:
 * 1. at most {@link MAX_REGEX_LENGTH} characters;
 * 2. no backreferences, lookahead or lookbehind (not supported);
 * 3. no repeat count above {@link MAX_REGEX_REPEAT};
 * 4. no unbounded quantifier inside a repeated group (`(a+)+`, `(.*a){20}`), and no variable
 *    count inside an unbounded one (`(a{1,5})+`);
 * 5. no alternation inside a repeated group (`(a|ab)+`, `(a|a){25}`): branches that can match
 *    the same text make the repeat exponential, and telling them apart is not attempted;
 * 6. at most {@link MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers;
 * 7. no two unbounded quantifiers in a row that can match the same characters (`\d+\d+`,
 *    `.*a.*`) unless the pattern is anchored with `^` and there are only two: otherwise the
 *    work grows with the cube of the input length or worse.
 */
export function analyzeRegex(pattern: string): { ok: true } | { ok: false; message: string } {
  if (typeof pattern !== 'string') return { ok: false, message: 'expected a string pattern' };
  if (pattern.length > MAX_REGEX_LENGTH) {
    return { ok: false, message: `regex too long (${pattern.length} characters, at most ${MAX_REGEX_LENGTH})` };
  }
  let tree: Alternatives;
  try {
    tree = new Parser(pattern).parsePattern();
  } catch (e) {
    if (e instanceof PatternError) return { ok: false, message: e.message };
    return { ok: false, message: 'regex could not be analyzed' };
  }
  const findings = new Findings();
  checkTree(tree, { repeat: null, unbounded: null }, findings);
  const message =
    findings.tooLarge ?? findings.nested ?? findings.alternation ?? countMessage(findings.unboundedCount) ?? checkOverlap(tree, pattern);
  return message === undefined ? { ok: true } : { ok: false, message };
}

function countMessage(count: number): string | undefined {
  if (count <= MAX_UNBOUNDED_QUANTIFIERS) return undefined;
  return `${CATASTROPHIC}: ${count} unbounded quantifiers (at most ${MAX_UNBOUNDED_QUANTIFIERS})`;
}

// ---- character sets (ASCII exactly, everything else as one "other" bit) ----

class CharSet {
  readonly words = [0, 0, 0, 0];
  other = false;

  add(code: number): this {
    if (code < 128) this.words[code >> 5]! |= 1 << (code & 31);
    else this.other = true;
    return this;
  }

  addRange(lo: number, hi: number): this {
    for (let c = lo; c <= Math.min(hi, 127); c++) this.add(c);
    if (hi >= 128) this.other = true;
    return this;
  }

  addSet(s: CharSet): this {
    for (let i = 0; i < 4; i++) this.words[i]! |= s.words[i]!;
    this.other ||= s.other;
    return this;
  }

  /** The complement; non-ASCII characters are assumed to be in it (conservative). */
  negated(): CharSet {
    const n = new CharSet();
    for (let i = 0; i < 4; i++) n.words[i] = ~this.words[i]!;
    n.other = true;
    return n;
  }

  intersects(s: CharSet): boolean {
    if (this.other && s.other) return true;
    for (let i = 0; i < 4; i++) if ((this.words[i]! & s.words[i]!) !== 0) return true;
    return false;
  }
}

const DIGIT = new CharSet().addRange(48, 57);
const WORD = new CharSet().addRange(48, 57).addRange(65, 90).addRange(97, 122).add(95);
// \s also matches Unicode spaces, hence `other`.
const SPACE = new CharSet().addRange(9, 13).add(32);
SPACE.other = true;
const ANY = new CharSet().addRange(0, 127);
ANY.other = true;
const DOT = new CharSet().addRange(0, 9).addRange(11, 12).addRange(14, 127);
DOT.other = true;

function single(code: number): CharSet {
  return new CharSet().add(code);
}

// ---- syntax tree ----

type Alternatives = Node[][];

type Node =
  /** Consumes exactly one character from `set`. */
  | { kind: 'char'; set: CharSet }
  /** Zero-width: `^`, `$`, `\b`, `\B`. */
  | { kind: 'assert'; anchor: boolean }
  | { kind: 'group'; alternatives: Alternatives }
  | { kind: 'repeat'; body: Node; min: number; max: number; unbounded: boolean; source: string };

class PatternError extends Error {}

const QUANTIFIER = /\{(\d+)(?:(,)(\d*))?\}/y;

/** A recursive-descent parser; nesting depth is bounded by the pattern length cap. */
class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parsePattern(): Alternatives {
    const alternatives = this.parseAlternatives();
    if (this.pos < this.src.length) throw new PatternError('invalid regex: unmatched ")"');
    return alternatives;
  }

  private parseAlternatives(): Alternatives {
    const alternatives: Alternatives = [[]];
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === ')') break;
      if (c === '|') {
        this.pos++;
        alternatives.push([]);
        continue;
      }
      const start = this.pos;
      let node = this.parseAtom();
      const q = this.parseQuantifier();
      if (q !== null) {
        if (node.kind === 'assert') throw new PatternError('invalid regex: nothing to repeat');
        node = { kind: 'repeat', body: node, ...q, source: this.src.slice(start, this.pos) };
      }
      alternatives[alternatives.length - 1]!.push(node);
    }
    return alternatives;
  }

  private parseQuantifier(): { min: number; max: number; unbounded: boolean } | null {
    const c = this.src[this.pos];
    let q: { min: number; max: number; unbounded: boolean } | null = null;
    if (c === '*') q = { min: 0, max: Infinity, unbounded: true };
    else if (c === '+') q = { min: 1, max: Infinity, unbounded: true };
    else if (c === '?') q = { min: 0, max: 1, unbounded: false };
    if (q !== null) {
      this.pos++;
    } else {
      // `{` that does not form a quantifier is a literal in Annex B syntax (`a{,5}`, `x{`).
      QUANTIFIER.lastIndex = this.pos;
      const m = QUANTIFIER.exec(this.src);
      if (m === null) return null;
      this.pos += m[0].length;
      const min = Number(m[1]);
      const unbounded = m[2] !== undefined && m[3] === '';
      const max = m[2] === undefined ? min : unbounded ? Infinity : Number(m[3]);
      if (min > max) throw new PatternError(`invalid regex: numbers out of order in ${m[0]}`);
      q = { min, max, unbounded };
    }
    if (this.src[this.pos] === '?') this.pos++; // lazy: same backtracking, different order
    return q;
  }

  private parseAtom(): Node {
    const c = this.src[this.pos]!;
    switch (c) {
      case '(':
        return this.parseGroup();
      case '[':
        return { kind: 'char', set: this.parseClass() };
      case '\\':
        return this.parseEscape();
      case '.':
        this.pos++;
        return { kind: 'char', set: DOT };
      case '^':
      case '$':
        this.pos++;
        return { kind: 'assert', anchor: c === '^' };
      case '*':
      case '+':
      case '?':
        throw new PatternError('invalid regex: nothing to repeat');
      case '{':
        QUANTIFIER.lastIndex = this.pos;
        if (QUANTIFIER.test(this.src)) throw new PatternError('invalid regex: nothing to repeat');
        break;
    }
    this.pos++;
    return { kind: 'char', set: single(c.charCodeAt(0)) };
  }

  private parseGroup(): Node {
    this.pos++; // (
    if (this.src[this.pos] === '?') {
      const next = this.src[this.pos + 1];
      const after = this.src[this.pos + 2];
      if (next === ':') {
        this.pos += 2;
      } else if (next === '=' || next === '!') {
        throw new PatternError('lookahead is not supported in regex conditions');
      } else if (next === '<' && (after === '=' || after === '!')) {
        throw new PatternError('lookbehind is not supported in regex conditions');
      } else if (next === '<') {
        const close = this.src.indexOf('>', this.pos);
        if (close < 0) throw new PatternError('invalid regex: invalid capture group name');
        this.pos = close + 1;
      } else {
        throw new PatternError('invalid regex: invalid group');
      }
    }
    const alternatives = this.parseAlternatives();
    if (this.src[this.pos] !== ')') throw new PatternError('invalid regex: unterminated group');
    this.pos++;
    return { kind: 'group', alternatives };
  }

  private parseEscape(): Node {
    this.pos++; // backslash
    const e = this.src[this.pos];
    if (e === undefined) throw new PatternError('invalid regex: \\ at end of pattern');
    if (e === 'b' || e === 'B') {
      this.pos++;
      return { kind: 'assert', anchor: false };
    }
    if ((e >= '1' && e <= '9') || (e === 'k' && this.src[this.pos + 1] === '<')) {
      throw new PatternError('backreferences are not supported in regex conditions');
    }
    return { kind: 'char', set: this.escapeSet(false) };
  }

  /** The set of an escape (after its backslash), shared by classes and the top level. */
  private escapeSet(inClass: boolean): CharSet {
    const e = this.src[this.pos]!;
    this.pos++;
    switch (e) {
      case 'd': return DIGIT;
      case 'D': return DIGIT.negated();
      case 'w': return WORD;
      case 'W': return WORD.negated();
      case 's': return SPACE;
      case 'S': return SPACE.negated();
      case 'n': return single(10);
      case 'r': return single(13);
      case 't': return single(9);
      case 'v': return single(11);
      case 'f': return single(12);
      case 'b': return single(8); // only reached inside a class: backspace
      case 'x':
      case 'u': {
        const digits = e === 'x' ? 2 : 4;
        const hex = this.src.slice(this.pos, this.pos + digits);
        if (hex.length === digits && /^[0-9a-fA-F]+$/.test(hex)) {
          this.pos += digits;
          return single(parseInt(hex, 16));
        }
        return single(e.charCodeAt(0)); // Annex B: `\x` without hex digits is "x"
      }
      default:
        // Control escapes and octal escapes in classes: rare, so approximate as "anything".
        if (e === 'c' || (inClass && e >= '0' && e <= '9')) return ANY;
        if (e === '0') return single(0);
        return single(e.charCodeAt(0)); // identity escape: `\.`, `\/`, `\-`, ...
    }
  }

  private parseClass(): CharSet {
    this.pos++; // [
    let negate = false;
    if (this.src[this.pos] === '^') {
      negate = true;
      this.pos++;
    }
    const set = new CharSet();
    while (this.pos < this.src.length && this.src[this.pos] !== ']') {
      const lo = this.classAtom();
      if (this.src[this.pos] === '-' && this.pos + 1 < this.src.length && this.src[this.pos + 1] !== ']') {
        this.pos++;
        const hi = this.classAtom();
        if (typeof lo === 'number' && typeof hi === 'number') {
          if (hi < lo) throw new PatternError('invalid regex: range out of order in character class');
          set.addRange(lo, hi);
          continue;
        }
        // Annex B: a class escape next to "-" makes the "-" a literal.
        set.add(45);
        addAtom(set, hi);
      }
      addAtom(set, lo);
    }
    if (this.pos >= this.src.length) throw new PatternError('invalid regex: unterminated character class');
    this.pos++; // ]
    return negate ? set.negated() : set;
  }

  /** One class member: a single character's code, or a set for `\d`-style escapes. */
  private classAtom(): number | CharSet {
    const c = this.src[this.pos]!;
    if (c !== '\\') {
      this.pos++;
      return c.charCodeAt(0);
    }
    this.pos++;
    if (this.pos >= this.src.length) throw new PatternError('invalid regex: \\ at end of pattern');
    const e = this.src[this.pos]!;
    const s = this.escapeSet(true);
    if ('dDwWsS'.includes(e) || s === ANY) return s;
    // Every other escape is one character; recover its code from the set it produced.
    return firstCode(s);
  }
}

function addAtom(set: CharSet, atom: number | CharSet): void {
  if (typeof atom === 'number') set.add(atom);
  else set.addSet(atom);
}

function firstCode(s: CharSet): number {
  for (let c = 0; c < 128; c++) if ((s.words[c >> 5]! & (1 << (c & 31))) !== 0) return c;
  return 128; // a non-ASCII character: any code >= 128 stands for all of them
}

// ---- rules 3 to 6: one walk over the tree ----

/** The first breach of each rule, so the most basic one can be reported. */
class Findings {
  tooLarge: string | undefined;
  nested: string | undefined;
  alternation: string | undefined;
  unboundedCount = 0;
}

interface Enclosing {
  /** The innermost enclosing quantifier that repeats (max > 1). */
  repeat: Extract<Node, { kind: 'repeat' }> | null;
  /** The innermost enclosing unbounded quantifier. */
  unbounded: Extract<Node, { kind: 'repeat' }> | null;
}

function checkTree(alternatives: Alternatives, enclosing: Enclosing, f: Findings): void {
  for (const alternative of alternatives) for (const node of alternative) checkNode(node, enclosing, f);
}

function checkNode(node: Node, enclosing: Enclosing, f: Findings): void {
  if (node.kind === 'group') {
    checkTree(node.alternatives, enclosing, f);
    return;
  }
  if (node.kind !== 'repeat') return;
  if (node.min > MAX_REGEX_REPEAT || (!node.unbounded && node.max > MAX_REGEX_REPEAT)) {
    f.tooLarge ??= `regex repeat count too large in "${node.source}" (at most ${MAX_REGEX_REPEAT})`;
  }
  if (node.unbounded) f.unboundedCount++;
  if (node.unbounded && enclosing.repeat !== null) {
    f.nested ??= `${CATASTROPHIC}: nested quantifier in "${enclosing.repeat.source}"`;
  } else if (enclosing.unbounded !== null && node.max > 1 && node.min !== node.max) {
    f.nested ??= `${CATASTROPHIC}: nested quantifier in "${enclosing.unbounded.source}"`;
  }
  if (node.max > 1 && containsAlternation(node.body)) {
    f.alternation ??=
      `${CATASTROPHIC}: alternation inside a repeated group in "${node.source}" ` +
      '(repeated alternation is not allowed; use a character class such as [ab] where possible)';
  }
  checkNode(node.body, {
    repeat: node.max > 1 ? node : enclosing.repeat,
    unbounded: node.unbounded ? node : enclosing.unbounded,
  }, f);
}

function containsAlternation(node: Node): boolean {
  if (node.kind === 'repeat') return containsAlternation(node.body);
  if (node.kind !== 'group') return false;
  if (node.alternatives.length > 1) return true;
  return node.alternatives.some((alt) => alt.some(containsAlternation));
}

// ---- rule 7: overlapping unbounded quantifiers ----

/** An unbounded quantifier that later ones could still trade characters with. */
interface Live {
  set: CharSet;
  /** How many overlapping unbounded quantifiers end here, this one included. */
  depth: number;
  chain: string[];
}

/**
 * Follows the pattern left to right keeping the unbounded quantifiers not yet "fenced off": a
 * required character that a quantifier cannot match ends its reach (`\d+\.\d+` is fine). Each
 * unbounded quantifier that can match a character a live one can is one more degree of the
 * polynomial; an unanchored pattern adds one more, since the search retries every start.
 * Degree 3 is already half a second on a 1,024-character input, so the limit is 2.
 */
function checkOverlap(tree: Alternatives, pattern: string): string | undefined {
  let worst: Live | undefined;
  const note = (l: Live): void => {
    if (worst === undefined || l.depth > worst.depth) worst = l;
  };
  walkAlternatives(tree, [], note);
  if (worst === undefined) return undefined;
  const anchored = tree.every((alt) => alt[0]?.kind === 'assert' && alt[0].anchor);
  const degree = worst.depth + (anchored ? 0 : 1);
  if (degree <= 2) return undefined;
  const quantifiers = worst.chain.map((s) => `"${s}"`).join(' then ');
  const shown = pattern.length > 64 ? `${pattern.slice(0, 64)}…` : pattern;
  return (
    `${CATASTROPHIC}: ${quantifiers} in "${shown}" ` +
    'can match the same characters' +
    (anchored ? '' : ' (and the pattern is not anchored with ^, so every start position is retried)')
  );
}

function walkAlternatives(alternatives: Alternatives, live: Live[], note: (l: Live) => void): Live[] {
  const out = new Set<Live>();
  for (const alternative of alternatives) {
    let state = live;
    for (const node of alternative) state = walkNode(node, state, note);
    for (const l of state) out.add(l);
  }
  return [...out];
}

function walkNode(node: Node, live: Live[], note: (l: Live) => void): Live[] {
  switch (node.kind) {
    case 'char':
      return live.filter((l) => l.set.intersects(node.set));
    case 'assert':
      return live;
    case 'group':
      return walkAlternatives(node.alternatives, live, note);
    case 'repeat': {
      if (!node.unbounded) {
        const once = walkNode(node.body, live, note);
        return node.min >= 1 ? once : [...new Set([...live, ...once])];
      }
      const set = charsOf(node.body);
      let best: Live | undefined;
      for (const l of live) if (l.set.intersects(set) && (best === undefined || l.depth > best.depth)) best = l;
      const me: Live = { set, depth: (best?.depth ?? 0) + 1, chain: [...(best?.chain ?? []), node.source] };
      note(me);
      const after = node.min >= 1 ? walkNode(node.body, live, () => {}) : live;
      return [...after, me];
    }
  }
}

/** Every character a node could consume (for a repeat, at any iteration). */
function charsOf(node: Node): CharSet {
  const set = new CharSet();
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === 'char') set.addSet(n.set);
    else if (n.kind === 'repeat') stack.push(n.body);
    else if (n.kind === 'group') for (const alt of n.alternatives) stack.push(...alt);
  }
  return set;
}
