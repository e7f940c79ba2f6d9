/**
 * Generated regular expressions with an independent reference matcher, shared by the property
 * test of `matches` (regex.property.test.ts) and `npm run bench:engine` (the worst single match).
 * Not part of the public API.
 *
 * Patterns are built as a small AST (literals, classes, `.`, anchors, concatenation, alternation,
 * groups, greedy/lazy `* + ? {n} {n,} {n,m}` nested inside each other), printed in RE2 syntax,
 * and judged by {@link referenceTest}: a position-set simulation over the AST that follows RE2's
 * definitions (code points, not UTF-16 units; `.` excludes `\n`; `$` only at the end of the text;
 * `\s` is `[\t\n\f\r ]`; `\d` `\w` are ASCII). It shares no code with re2js.
 */

/** A generated pattern's syntax tree. */
export type RegexNode =
  | { t: 'char'; cp: number }
  | { t: 'class'; src: string; negated: boolean; ranges: ReadonlyArray<readonly [number, number]> }
  | { t: 'any' }
  | { t: 'bol' }
  | { t: 'eol' }
  | { t: 'cat'; items: RegexNode[] }
  | { t: 'alt'; items: RegexNode[] }
  | { t: 'group'; node: RegexNode; capture: boolean }
  | { t: 'rep'; node: RegexNode; min: number; max: number; lazy: boolean; src: string };

/** A small deterministic PRNG (mulberry32), so every corpus is reproducible from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LITERALS = ['a', 'b', 'c', '0', '1', ' ', '-', '.', 'é'];
const DIGIT: Array<[number, number]> = [[48, 57]];
const WORD: Array<[number, number]> = [
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
];
const SPACE: Array<[number, number]> = [
  [9, 10],
  [12, 13],
  [32, 32],
];
const CLASSES: Array<Extract<RegexNode, { t: 'class' }>> = [
  { t: 'class', src: '[ab]', negated: false, ranges: [[97, 98]] },
  { t: 'class', src: '[a-c]', negated: false, ranges: [[97, 99]] },
  { t: 'class', src: '[^a]', negated: true, ranges: [[97, 97]] },
  {
    t: 'class',
    src: '[0-9_]',
    negated: false,
    ranges: [
      [48, 57],
      [95, 95],
    ],
  },
  { t: 'class', src: '\\d', negated: false, ranges: DIGIT },
  { t: 'class', src: '\\w', negated: false, ranges: WORD },
  { t: 'class', src: '\\s', negated: false, ranges: SPACE },
  { t: 'class', src: '\\W', negated: true, ranges: WORD },
  { t: 'class', src: '[^\\s]', negated: true, ranges: SPACE },
];

/** A random pattern tree of roughly `depth` levels. */
export function generateRegex(random: () => number, depth = 4): RegexNode {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const atom = (): RegexNode => {
    const r = random();
    if (r < 0.45) return { t: 'char', cp: pick(LITERALS).codePointAt(0)! };
    if (r < 0.8) return pick(CLASSES);
    return { t: 'any' };
  };
  const node = (d: number): RegexNode => {
    if (d <= 0) return atom();
    const r = random();
    if (r < 0.3) return { t: 'cat', items: Array.from({ length: int(2, 4) }, () => node(d - 1)) };
    if (r < 0.45)
      return {
        t: 'group',
        capture: random() < 0.5,
        node: { t: 'alt', items: Array.from({ length: int(2, 3) }, () => node(d - 1)) },
      };
    if (r < 0.8) return repeat(node(d - 1));
    return atom();
  };
  const repeat = (inner: RegexNode): RegexNode => {
    const lazy = random() < 0.2;
    const kind = int(0, 5);
    const [min, max, src] =
      kind === 0
        ? [0, Infinity, '*']
        : kind === 1
          ? [1, Infinity, '+']
          : kind === 2
            ? [0, 1, '?']
            : kind === 3
              ? ((n: number) => [n, n, `{${n}}`] as const)(int(1, 4))
              : kind === 4
                ? ((n: number) => [n, Infinity, `{${n},}`] as const)(int(0, 3))
                : ((n: number, m: number) => [n, n + m, `{${n},${n + m}}`] as const)(int(0, 3), int(0, 5));
    return { t: 'rep', node: inner, min, max, lazy, src: src + (lazy ? '?' : '') };
  };
  const anchoredStart = random() < 0.25;
  const anchoredEnd = random() < 0.25;
  const body = node(depth);
  const items: RegexNode[] = [];
  if (anchoredStart) items.push({ t: 'bol' });
  items.push(body);
  if (anchoredEnd) items.push({ t: 'eol' });
  return items.length === 1 ? body : { t: 'cat', items };
}

/** The pattern text of a tree, in RE2 syntax. */
export function printRegex(n: RegexNode): string {
  switch (n.t) {
    case 'char': {
      const s = String.fromCodePoint(n.cp);
      return /[\\.+*?()|[\]{}^$]/.test(s) ? `\\${s}` : s;
    }
    case 'class':
      return n.src;
    case 'any':
      return '.';
    case 'bol':
      return '^';
    case 'eol':
      return '$';
    case 'cat':
      return n.items.map((x) => (x.t === 'alt' ? `(?:${printRegex(x)})` : printRegex(x))).join('');
    case 'alt':
      return n.items.map(printRegex).join('|');
    case 'group':
      return `${n.capture ? '(' : '(?:'}${printRegex(n.node)})`;
    case 'rep': {
      // A quantifier applies to one atom, and RE2 refuses a quantifier on a quantifier (`a**`).
      const inner =
        n.node.t === 'char' || n.node.t === 'class' || n.node.t === 'any' || n.node.t === 'group'
          ? printRegex(n.node)
          : `(?:${printRegex(n.node)})`;
      return inner + n.src;
    }
  }
}

/** The reference answer: does the pattern match somewhere in `input` (RE2 semantics)? */
export function referenceTest(root: RegexNode, input: string): boolean {
  const cps = Array.from(input, (ch) => ch.codePointAt(0)!);
  const n = cps.length;
  const all = new Uint8Array(n + 1).fill(1);
  const out = ends(root, all, cps);
  return out.includes(1);
}

// The positions where `node` can end, given the positions where it may start.
function ends(node: RegexNode, starts: Uint8Array, cps: number[]): Uint8Array {
  const n = cps.length;
  const out = new Uint8Array(n + 1);
  switch (node.t) {
    case 'char':
      for (let p = 0; p < n; p++) if (starts[p] && cps[p] === node.cp) out[p + 1] = 1;
      return out;
    case 'class':
      for (let p = 0; p < n; p++) if (starts[p] && inRanges(node.ranges, cps[p]!) !== node.negated) out[p + 1] = 1;
      return out;
    case 'any':
      for (let p = 0; p < n; p++) if (starts[p] && cps[p] !== 10) out[p + 1] = 1;
      return out;
    case 'bol':
      out[0] = starts[0]!;
      return out;
    case 'eol':
      out[n] = starts[n]!;
      return out;
    case 'cat': {
      let cur = starts;
      for (const item of node.items) cur = ends(item, cur, cps);
      return cur;
    }
    case 'alt':
      for (const item of node.items) {
        const e = ends(item, starts, cps);
        for (let p = 0; p <= n; p++) out[p] = out[p]! | e[p]!;
      }
      return out;
    case 'group':
      return ends(node.node, starts, cps);
    case 'rep': {
      let reached = starts;
      for (let i = 0; i < node.min; i++) reached = ends(node.node, reached, cps);
      // reached(k+1) = reached(k) ∪ ends(reached(k)): positions after min..k+1 repetitions.
      const result = Uint8Array.from(reached);
      for (let k = node.min; k < node.max; k++) {
        const next = ends(node.node, result, cps);
        let grew = false;
        for (let p = 0; p <= n; p++)
          if (next[p] && !result[p]) {
            result[p] = 1;
            grew = true;
          }
        if (!grew) break;
      }
      return result;
    }
  }
}

function inRanges(ranges: ReadonlyArray<readonly [number, number]>, cp: number): boolean {
  for (const [lo, hi] of ranges) if (cp >= lo && cp <= hi) return true;
  return false;
}

/** A random string the pattern matches in full (lengths kept small), for positive cases. */
export function sampleMatch(node: RegexNode, random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  switch (node.t) {
    case 'char':
      return String.fromCodePoint(node.cp);
    case 'class': {
      if (node.negated) return pick(['é', '😀', '#']); // in no class the generator negates
      const [lo, hi] = pick(node.ranges);
      return String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
    }
    case 'any':
      return pick(['a', 'é', '😀', '#']);
    case 'bol':
    case 'eol':
      return '';
    case 'cat':
      return node.items.map((x) => sampleMatch(x, random)).join('');
    case 'alt':
      return sampleMatch(pick(node.items), random);
    case 'group':
      return sampleMatch(node.node, random);
    case 'rep': {
      const count = node.min + Math.floor(random() * (Math.min(node.max, node.min + 3) - node.min + 1));
      let s = '';
      for (let i = 0; i < count; i++) s += sampleMatch(node.node, random);
      return s;
    }
  }
}

const ALPHABET = ['a', 'b', 'c', '0', '1', ' ', '_', '-', '.', '\n', 'é', '😀', 'Z', '\t'];

/** Repeats `unit` up to `MAX` UTF-16 code units without splitting a surrogate pair. */
function fill(unit: string, max: number): string {
  if (unit === '') return '';
  let s = '';
  for (const ch of unit.repeat(Math.ceil(max / unit.length) + 1)) {
    if (s.length + ch.length > max) break;
    s += ch;
  }
  return s;
}

/**
 * Hostile inputs of `max` (1,024) UTF-16 code units for one pattern: one repeated character,
 * the same with a different last character, random text over the test alphabet and over the
 * pattern's own literals, repeated matching samples (with the last character spoiled, the classic
 * near miss), and astral characters (two code units each).
 */
export function adversarialInputs(node: RegexNode, random: () => number, max = 1024): string[] {
  const samples = Array.from({ length: 8 }, () => sampleMatch(node, random)).join('');
  return hostileTexts(collectLiterals(node), samples, random, max);
}

/**
 * The hostile texts of {@link adversarialInputs} for any pattern: `literals` are characters the
 * pattern uses, `samples` text it matches (either may be empty).
 */
export function hostileTexts(literals: string[], samples: string, random: () => number, max = 1024): string[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const own = literals.length > 0 ? literals : ['a'];
  const randomText = (alphabet: string[]): string => {
    let s = '';
    for (let guard = 0; s.length < max && guard < 4 * max; guard++) {
      const ch = pick(alphabet);
      if (s.length + ch.length > max) break;
      s += ch;
    }
    return s;
  };
  const repeated = fill(samples || 'a', max);
  const spoiled = repeated.length > 0 ? repeated.slice(0, -1) + (repeated.endsWith('!') ? '?' : '!') : '!';
  return [
    fill(own[0]!, max),
    fill(own[0]!, max - 1) + '!',
    randomText(ALPHABET),
    randomText(own),
    repeated,
    spoiled,
    fill('😀', max),
  ];
}

function collectLiterals(node: RegexNode, out: string[] = []): string[] {
  switch (node.t) {
    case 'char':
      if (!out.includes(String.fromCodePoint(node.cp))) out.push(String.fromCodePoint(node.cp));
      break;
    case 'cat':
    case 'alt':
      for (const x of node.items) collectLiterals(x, out);
      break;
    case 'group':
    case 'rep':
      collectLiterals(node.node, out);
      break;
    default:
      break;
  }
  return out;
}

/**
 * Hand-written patterns near the program-size limit that are expensive for a linear engine
 * (many simultaneous threads, state-set blow-up for a lazy DFA, big Unicode classes), added to
 * the generated corpus by the benchmark. Each is accepted by validation at the current limit.
 */
export const COSTLY_PATTERNS: readonly string[] = [
  '^(\\w{1,8}\\s?){1,3}$',
  '(\\w{1,5}){1,5}$',
  '(a|b)*a(a|b){18}$',
  '(.*a){12}',
  '(?:a|aa|aaa|b|ab|ba){1,3}a$',
  '\\pL{60}x',
  '(?i)(?:[a-z]\\d?){1,15}$',
  '(x+x+)+y',
  '(\\s*\\S){12}!',
  '[^!]{61}!',
];
