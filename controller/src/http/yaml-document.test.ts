import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { prng, randomValue } from '../test-support/fuzz.ts';
import { readYamlDocument, type YamlLimits } from './yaml-document.ts';
import { scanYamlShape } from './yaml-shape-scan.ts';

const depthOf = (v: unknown): number =>
  typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;

const LIMITS: YamlLimits = { maxBytes: 10 * 1024 * 1024, maxDepth: 64, maxNodes: 500_000 };
const read = (text: string | Uint8Array, limits = LIMITS) => readYamlDocument(text, limits);
const problem = (text: string | Uint8Array, limits = LIMITS) => {
  const r = read(text, limits);
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.value).slice(0, 100)}`);
  return r.problem;
};

/** Nine anchors of nine aliases each: 9^10 "lol"s, about 35 GB as JSON, from 400 bytes. */
const billionLaughs =
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' +
  Array.from(
    { length: 9 },
    (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(',')}]`,
  ).join('\n');

describe('readYamlDocument', () => {
  it('reads ordinary documents as plain values, like JSON.parse would', () => {
    const text =
      'format: flagship/v1\nflags:\n  f:\n    type: boolean\n    variants: {on: true, off: false}\n    tags: [a, "b c"]\n    n: 1.5\n    x: null\n';
    expect(read(text)).toEqual({ ok: true, value: parse(text) });
    const proto = read('__proto__: {admin: true}');
    expect(proto.ok && Object.getPrototypeOf(proto.value)).toBe(Object.prototype);
    expect(proto.ok && Object.keys(proto.value as object)).toEqual(['__proto__']);
    expect(read('')).toEqual({ ok: true, value: null });
  });

  it('refuses deep flow nesting before parsing, and accepts exactly the depth limit', () => {
    expect(read('['.repeat(64) + ']'.repeat(64)).ok).toBe(true);
    expect(problem('['.repeat(65) + ']'.repeat(65)).code).toBe('TOO_DEEP');
    // The crash of the old code: a stack overflow in the parser, fatal on the second body.
    for (let i = 0; i < 3; i++) expect(problem('['.repeat(100_000)).code).toBe('TOO_DEEP');
    expect(problem('{a: '.repeat(100_000)).code).toBe('TOO_DEEP');
  });

  it('refuses deep block nesting (indentation and compact sequences) before parsing', () => {
    expect(problem('- '.repeat(100_000) + 'x').code).toBe('TOO_DEEP');
    expect(problem('? '.repeat(100_000) + 'x').code).toBe('TOO_DEEP');
    const indented = Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' x';
    expect(problem(indented)).toMatchObject({ code: 'TOO_DEEP', line: expect.any(Number) });
    const ok = Array.from({ length: 63 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' x';
    expect(read(ok).ok).toBe(true);
  });

  it('is not fooled by brackets inside quoted scalars, block scalars and comments', () => {
    const text = `a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\nc: |\n  ${'- '.repeat(500)}\n# ${'['.repeat(500)}\nd: 1\n`;
    const r = read(text);
    expect(r.ok && (r.value as { a: string }).a.length).toBe(500);
    // and quotes cannot hide structure: an apostrophe in a plain scalar starts nothing.
    expect(problem(`a: it's\nb: ${'['.repeat(1_000)}`).code).toBe('TOO_DEEP');
    expect(problem(`a: |\n  it's "\nb: ${'['.repeat(1_000)}`).code).toBe('TOO_DEEP');
  });

  it('bounds the pre-scan depth by four times the limit whatever the shape', () => {
    for (const text of [
      '['.repeat(10_000),
      '- '.repeat(10_000),
      '[a: '.repeat(10_000),
      Array.from({ length: 1_000 }, (_, i) => `${' '.repeat(i)}- k:`).join('\n'),
    ]) {
      const shape = scanYamlShape(text, { maxDepthBound: 256, maxNodes: 500_000 });
      expect(shape.exceeded).toBe('depth');
    }
  });

  it('never bounds the depth below the real depth, whatever the layout (seeded property)', () => {
    const r = prng(8_031);
    for (let n = 0; n < 400; n++) {
      let value = randomValue(r);
      // Wrap in random containers to reach depths near the limit.
      for (let d = Math.floor(r() * 60); d > 0; d--)
        value = r() < 0.5 ? [value, r() < 0.5 ? 'x' : { k: 1 }] : { [`k${d}`]: value, s: "it's [" };
      const text = stringify(value, {
        collectionStyle: r() < 0.3 ? 'flow' : r() < 0.5 ? 'block' : 'any',
        flowCollectionPadding: r() < 0.5,
        indent: 1 + Math.floor(r() * 4),
        indentSeq: r() < 0.5,
        lineWidth: 0,
      });
      const shape = scanYamlShape(text, { maxDepthBound: 10_000, maxNodes: 1_000_000 });
      expect(shape.depthBound, text.slice(0, 300)).toBeGreaterThanOrEqual(depthOf(value));
      const back = read(text);
      expect(back.ok ? back.value : back.problem).toEqual(
        depthOf(value) > 64
          ? { code: 'TOO_DEEP', message: expect.any(String), line: expect.any(Number), column: expect.any(Number) }
          : parse(text),
      );
    }
  });

  it('refuses a billion-laughs document from its measured expansion, without expanding it', () => {
    expect(problem(billionLaughs)).toMatchObject({ code: 'ALIAS_EXPANSION', line: expect.any(Number) });
    // Aliases are fine while the expanded document stays within the size limit.
    const small = read('base: &b {enabled: true, offVariant: off}\nx: *b\ny: *b\n');
    expect(small).toEqual({
      ok: true,
      value: {
        base: { enabled: true, offVariant: 'off' },
        x: { enabled: true, offVariant: 'off' },
        y: { enabled: true, offVariant: 'off' },
      },
    });
    // The expanded size counts: 40 aliases of a 300 KB scalar pass 10 MiB, the raw text is 300 KB.
    const big = `s: &s "${'x'.repeat(300_000)}"\nl: [${Array(40).fill('*s').join(', ')}]`;
    expect(problem(big).code).toBe('ALIAS_EXPANSION');
    expect(read(`s: &s "${'x'.repeat(300_000)}"\nl: [${Array(30).fill('*s').join(', ')}]`).ok).toBe(true);
  });

  it('counts the depth an alias adds, and refuses an alias to its own ancestor', () => {
    const deep = `a: &a ${'['.repeat(40)}${']'.repeat(40)}\nb: ${'['.repeat(30)}*a${']'.repeat(30)}`;
    expect(problem(deep).code).toBe('TOO_DEEP');
    expect(problem('a: &a [1, *a]').code).toBe('RECURSIVE_ALIAS');
    expect(problem('a: *nowhere').code).toBe('INVALID_YAML');
  });

  it('refuses custom and non-core tags, naming the tag and its place', () => {
    expect(problem('a: 1\nb: !foo x')).toMatchObject({
      code: 'UNSUPPORTED_TAG',
      line: 2,
      message: expect.stringContaining('!foo'),
    });
    for (const tag of [
      '!!binary aGk=',
      '!!set {a}',
      '!!timestamp 2020-01-01',
      '!!omap [a: 1]',
      '!<tag:example.com,2000:x> 1',
      '!js/function "f"',
    ]) {
      expect(problem(`a: ${tag}`).code).toBe('UNSUPPORTED_TAG');
    }
    expect(read('a: !!str 1\nb: !!int "2"\nc: !!map {}').ok).toBe(true);
    // `!` is the non-specific tag, not a custom one: a string, or the plain collection.
    expect(read('a: ! 1\nb: ! []')).toEqual({ ok: true, value: { a: '1', b: [] } });
    // A %YAML 1.1 directive does not turn merge keys or 1.1 types on.
    expect(read('%YAML 1.1\n---\na: &x {k: 1}\nb: {<<: *x}\n')).toEqual({
      ok: true,
      value: { a: { k: 1 }, b: { '<<': { k: 1 } } },
    });
  });

  it('refuses invalid UTF-8, duplicate keys, collection keys and several documents', () => {
    expect(problem(new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0xfe]))).toMatchObject({ code: 'INVALID_UTF8' });
    expect(problem(Buffer.from('a: "\xc3\x28"', 'latin1')).code).toBe('INVALID_UTF8');
    expect(problem('a: 1\nb: 2\na: 3')).toMatchObject({ code: 'DUPLICATE_KEY', line: 3, column: 1 });
    expect(problem('? [a, b]\n: 1').code).toBe('NON_SCALAR_KEY');
    expect(problem('a: &k [1]\n*k : 2').code).toBe('NON_SCALAR_KEY');
    expect(problem('a: 1\n---\nb: 2').message).toMatch(/more than one YAML document/);
  });

  it('names syntax errors with their line and column', () => {
    expect(problem('flags: [1, 2')).toMatchObject({
      code: 'INVALID_YAML',
      line: 1,
      message: expect.stringMatching(/^line 1, column \d+: /),
    });
    expect(problem('a:\n  b: 1\n c: 2')).toMatchObject({ code: 'INVALID_YAML', line: 3 });
  });

  it('refuses documents over the size or node limit before parsing them', () => {
    expect(problem('a: 1\n', { ...LIMITS, maxBytes: 4 }).code).toBe('TOO_LARGE');
    expect(problem('- 1\n'.repeat(600_000)).code).toBe('TOO_MANY_NODES');
    expect(problem(`[${'1,'.repeat(600_000)}]`).code).toBe('TOO_MANY_NODES');
    expect(problem('\n'.repeat(3_000_000)).code).toBe('TOO_MANY_NODES');
    // A huge scalar is one node: fine within the size limit.
    const huge = read(`a: "${'x'.repeat(5_000_000)}"`);
    expect(huge.ok && (huge.value as { a: string }).a.length).toBe(5_000_000);
  });
});
