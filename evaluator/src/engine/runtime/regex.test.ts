/** The `matches` operator's compile function: what it accepts, what it refuses and why, and results. */
import { describe, expect, it } from 'vitest';
import { compileSnapshot } from '../compile-snapshot.ts';
import { compileRegex, MAX_REGEX_INPUT, MAX_REGEX_PROGRAM, regexProblem } from './regex.ts';
import { COSTLY_PATTERNS } from './regex-corpus.ts';
import { makeFlag, makeSnapshot } from '../test-support.ts';
import { validateSegment } from '../../validation/index.ts';
import { segmentInput } from '../../validation/test-fixtures.ts';

function matcher(...patterns: string[]): (v: string) => boolean {
  const r = compileRegex(patterns);
  if (!r.ok) throw new Error(`refused: ${r.refusal.message}`);
  return (v) => r.regex.test(v);
}

/** A flag that serves treatment when `attr` matches one of `patterns`. */
function engineFor(patterns: string[]) {
  return compileSnapshot(
    makeSnapshot([
      makeFlag('f', {
        rules: [
          { conditions: [{ attribute: 'attr', op: 'matches', values: patterns }], serve: { variant: 'treatment' } },
        ],
      }),
    ]),
  );
}

describe('the issue 8 regression: bounded quantifiers nested in bounded quantifiers', () => {
  it('refuses (a{1,5}){1,1000}b at save time, and the engine never holds it', () => {
    expect(regexProblem('(a{1,5}){1,1000}b')).toBe(
      'regex too large: its program has more than 64 instructions (98 with repeat counts cut to 8)',
    );
    expect(regexProblem('(a{1,5}){1,40}b')).toBe(
      'regex too large: its program has more than 64 instructions (98 with repeat counts cut to 8)',
    );
    expect(regexProblem('a{1,1000}b')).toBe('regex too large: its program has 2002 instructions (at most 64)');
    // A snapshot that bypassed validation: the condition is false, evaluation answers at once.
    const engine = engineFor(['(a{1,5}){1,1000}b']);
    expect(engine.evaluate('f', { targetingKey: 'u', attr: 'a'.repeat(26) }).variant).toBe('control');
  });

  it('runs the accepted forms of the same shape, and answers like RE2', () => {
    const m = matcher('(a{1,5}){1,5}b');
    expect(m('a'.repeat(26))).toBe(false);
    expect(m('a'.repeat(26) + 'b')).toBe(true); // unanchored: the last 25 a's and the b
    const nested = matcher('^(a+)+$');
    expect(nested('a'.repeat(MAX_REGEX_INPUT - 1) + '!')).toBe(false);
    expect(nested('a'.repeat(MAX_REGEX_INPUT))).toBe(true);
  });
});

describe('compileRegex', () => {
  it.each([
    '^[a-z0-9._%+-]+@example\\.com$',
    '^(foo|bar)$',
    '(?i)^mozilla/5\\.0 \\(x11',
    '^(?P<year>\\d{4})-(?<month>\\d{2})$',
    '\\pL+\\p{Greek}?',
    '[[:alpha:]]+\\z',
    '(a+)+$',
    '(a|ab)*c',
    ...COSTLY_PATTERNS,
  ])('accepts %s', (pattern) => {
    expect(regexProblem(pattern)).toBeUndefined();
  });

  it.each([
    ['(a)\\1', 'invalid regex (RE2 syntax): invalid escape sequence: `\\1` (backreferences are not supported)'],
    ['(?<x>a)\\k<x>', 'invalid regex (RE2 syntax): invalid escape sequence: `\\k` (backreferences are not supported)'],
    [
      'a(?=b)',
      'invalid regex (RE2 syntax): invalid or unsupported Perl syntax: `(?=` (lookahead and lookbehind are not supported)',
    ],
    [
      '(?<!a)b',
      'invalid regex (RE2 syntax): invalid named capture: `(?<!a)b` (lookahead and lookbehind are not supported)',
    ],
    ['\\u0041', 'invalid regex (RE2 syntax): invalid escape sequence: `\\u`'],
    ['a**', 'invalid regex (RE2 syntax): invalid nested repetition operator: `**`'],
    ['x{1001}', 'invalid regex (RE2 syntax): invalid repeat count: `{1001}`'],
    ['\\w{1,151}', 'regex too large: its program has 303 instructions (at most 64)'],
    // 900,000 instructions if built (about a second); refused from the capped probe instead.
    [
      `(?:${'abcdefghi'.repeat(100)}){1000}`,
      'regex too large: its program has more than 64 instructions (7202 with repeat counts cut to 8)',
    ],
    ['x'.repeat(1001), 'regex too long (1001 characters, at most 1000)'],
  ])('refuses %s', (pattern, message) => {
    expect(regexProblem(pattern)).toBe(message);
  });

  it("bounds one condition's patterns together and names the first one too large alone", () => {
    expect(compileRegex(['a{30}', 'b{31}'])).toEqual({
      ok: false,
      refusal: {
        index: undefined,
        message: `regexes too large together: their programs have 65 instructions (at most ${MAX_REGEX_PROGRAM} per condition)`,
      },
    });
    expect(compileRegex(['ok', '(unclosed'])).toEqual({
      ok: false,
      refusal: { index: 1, message: 'invalid regex (RE2 syntax): missing closing ): `(unclosed`' },
    });
  });

  it('searches anywhere (like RegExp.test), with RE2 meanings of ., $, \\s and code points', () => {
    expect(matcher('b')('abc')).toBe(true);
    expect(matcher('^.$')('😀')).toBe(true); // one code point, two UTF-16 units
    expect(matcher('^a.b$')('a\nb')).toBe(false); // . excludes newline
    expect(matcher('a$')('a\n')).toBe(false); // $ is the end of the text only
    expect(matcher('^\\s$')('\u00a0')).toBe(false); // \s is [\t\n\f\r ]
    expect(matcher('(?i)ÉTÉ')('été')).toBe(true);
  });

  it('never matches a value longer than MAX_REGEX_INPUT, and matches one of exactly that length', () => {
    const m = matcher('a');
    expect(m('a'.repeat(MAX_REGEX_INPUT))).toBe(true);
    expect(m('a'.repeat(MAX_REGEX_INPUT + 1))).toBe(false);
  });
});

describe('matches in the engine', () => {
  it('an array attribute matches when any of its first 100 elements does', () => {
    const engine = engineFor(['^admin@']);
    expect(engine.evaluate('f', { targetingKey: 'u', attr: ['x', 'admin@acme.com'] }).variant).toBe('treatment');
    expect(engine.evaluate('f', { targetingKey: 'u', attr: [...Array(100).fill('x'), 'admin@acme.com'] }).variant).toBe(
      'control',
    );
    expect(engine.evaluate('f', { targetingKey: 'u', attr: 42 }).variant).toBe('control');
  });

  it('validation and the engine use the same rule: what one refuses the other never holds', () => {
    const refused = ['(?=a)a', '\\w{1,151}'];
    for (const pattern of refused) {
      const segment = {
        ...segmentInput(),
        rules: [{ conditions: [{ attribute: 'attr', op: 'matches', values: [pattern] }] }],
      };
      expect(validateSegment(segment).ok, pattern).toBe(false);
      expect(engineFor([pattern]).evaluate('f', { targetingKey: 'u', attr: 'aaaa' }).variant, pattern).toBe('control');
    }
  });
});
