import { describe, expect, it } from 'vitest';
import { analyzeRegex, MAX_REGEX_INPUT } from './index.ts';

const catastrophic = 'regex may backtrack catastrophically';

describe('analyzeRegex', () => {
  it.each([
    '^[a-z0-9._%+-]+@example\\.com$',
    '^(foo|bar)$',
    '^v?\\d+\\.\\d+',
    '.*@acme\\.(com|io)$',
    '^user-[0-9]{1,6}$',
    '^[+*?{}()|]+$', // quantifier and group characters are literal inside a class
    '^(?<year>\\d{4})-(?<month>\\d{2})$',
    '^(?:ab?)+$',
    '[^@]+@[^@]+',
    '^.*foo.*$',
    'a{,5}', // not a quantifier in JavaScript: literal text
    '\\(a+\\)+', // escaped parentheses are not a group
  ])('accepts %s', (pattern) => {
    expect(analyzeRegex(pattern)).toEqual({ ok: true });
  });

  it.each([
    ['(a+)+', 'nested quantifier in "(a+)+"'],
    ['(a*)*', 'nested quantifier in "(a*)*"'],
    ['^(\\w+\\s?)+$', 'nested quantifier in "(\\w+\\s?)+"'],
    ['(.*a){20}', 'nested quantifier in "(.*a){20}"'],
    ['((ab)*c)+?', 'nested quantifier in "((ab)*c)+?"'],
    ['(a{1,5})+b', 'nested quantifier in "(a{1,5})+"'],
    ['(?:x+y?)*', 'nested quantifier in "(?:x+y?)*"'],
  ])('rejects nested quantifiers: %s', (pattern, detail) => {
    expect(analyzeRegex(pattern)).toEqual({ ok: false, message: `${catastrophic}: ${detail}` });
  });

  it.each([
    ['(a|a)*', '(a|a)*'],
    ['^(a|ab)+$', '(a|ab)+'],
    ['(x|y){25}z', '(x|y){25}'],
    ['((a|b)c)+', '((a|b)c)+'],
  ])('rejects repeated alternation: %s', (pattern, group) => {
    expect(analyzeRegex(pattern)).toEqual({
      ok: false,
      message: `${catastrophic}: alternation inside a repeated group in "${group}" (repeated alternation is not allowed; use a character class such as [ab] where possible)`,
    });
  });

  it.each([
    ['(a)\\1', 'backreferences are not supported in regex conditions'],
    ['(?<x>a)\\k<x>', 'backreferences are not supported in regex conditions'],
    ['foo(?=bar)', 'lookahead is not supported in regex conditions'],
    ['foo(?!bar)', 'lookahead is not supported in regex conditions'],
    ['(?<=foo)bar', 'lookbehind is not supported in regex conditions'],
    ['(?<!foo)bar', 'lookbehind is not supported in regex conditions'],
  ])('rejects unsupported syntax: %s', (pattern, message) => {
    expect(analyzeRegex(pattern)).toEqual({ ok: false, message });
  });

  it('rejects more than 3 unbounded quantifiers', () => {
    expect(analyzeRegex('^a+b+c+d+$')).toEqual({ ok: false, message: `${catastrophic}: 4 unbounded quantifiers (at most 3)` });
    expect(analyzeRegex('.*.*.*.*x')).toEqual({ ok: false, message: `${catastrophic}: 4 unbounded quantifiers (at most 3)` });
    expect(analyzeRegex('^a+b+c+$')).toEqual({ ok: true });
  });

  it('rejects overlapping unbounded quantifiers (polynomial backtracking)', () => {
    expect(analyzeRegex('.*.*x')).toEqual({
      ok: false,
      message: `${catastrophic}: ".*" then ".*" in ".*.*x" can match the same characters (and the pattern is not anchored with ^, so every start position is retried)`,
    });
    expect(analyzeRegex('^\\d+\\w*\\d+x')).toEqual({
      ok: false,
      message: `${catastrophic}: "\\d+" then "\\w*" then "\\d+" in "^\\d+\\w*\\d+x" can match the same characters`,
    });
    expect(analyzeRegex('a.*b.*c').ok).toBe(false);
    // Anchored with two, or separated by a character the first cannot match: fine.
    expect(analyzeRegex('^.*.*x')).toEqual({ ok: true });
    expect(analyzeRegex('\\d+-\\d+')).toEqual({ ok: true });
  });

  it('rejects large repeat counts and long patterns', () => {
    expect(analyzeRegex('a{1,5000}')).toEqual({ ok: false, message: 'regex repeat count too large in "a{1,5000}" (at most 1000)' });
    expect(analyzeRegex('a{1001,}')).toEqual({ ok: false, message: 'regex repeat count too large in "a{1001,}" (at most 1000)' });
    expect(analyzeRegex('a{0,1000}')).toEqual({ ok: true });
    expect(analyzeRegex('x'.repeat(1001))).toEqual({ ok: false, message: 'regex too long (1001 characters, at most 1000)' });
  });

  it('never throws, even on invalid or deeply nested patterns', () => {
    for (const p of ['(', ')', '[', 'a**', '+a', '\\', '[z-a]', 'a{3,2}', '(?', '(?<', '('.repeat(500) + ')'.repeat(500)]) {
      const r = analyzeRegex(p);
      expect(typeof r.ok, p).toBe('boolean');
    }
    expect(analyzeRegex('(').ok).toBe(false);
    expect(analyzeRegex('('.repeat(500) + ')'.repeat(500))).toEqual({ ok: true });
  });

  it('accepted patterns run fast on hostile input of the maximum length', () => {
    // Not a timing assertion: a regression here would hang the test rather than fail it.
    const input = 'a'.repeat(MAX_REGEX_INPUT);
    for (const p of ['^.*.*x', '.*a$', '^[a-z]+@[a-z]+\\.com$', '^(a|b)c*$']) {
      expect(analyzeRegex(p).ok).toBe(true);
      expect(new RegExp(p).test(input)).toBe(p === '.*a$');
    }
  });
});
