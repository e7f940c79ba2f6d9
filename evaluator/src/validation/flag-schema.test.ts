import { describe, expect, it } from 'vitest';
import { formatProblem, MAX_PROBLEMS, validateFlag } from './index.ts';
import type { Problem } from './index.ts';
import { flagInput, problemsOf } from './test-fixtures.ts';

describe('validateFlag', () => {
  it('accepts a valid flag and returns an equal, fresh copy', () => {
    const input = flagInput();
    const r = validateFlag(JSON.parse(JSON.stringify(input)));
    expect(r).toEqual({ ok: true, value: input });
    const again = validateFlag(input);
    if (!again.ok) throw new Error('unexpected');
    expect(again.value).not.toBe(input);
    expect(again.value.tags).not.toBe(input.tags);
    expect(again.value.variants).not.toBe(input.variants);
  });

  it('does not add optional fields that were absent', () => {
    const { description: _d, tags: _t, ...minimal } = flagInput();
    const r = validateFlag(minimal);
    expect(r.ok && Object.keys(r.value)).toEqual(['key', 'type', 'variants', 'salt']);
  });

  it.each([
    [null, 'expected object, got null'],
    [[], 'expected object, got array'],
    ['flag', 'expected object, got string'],
    [42, 'expected object, got number'],
    [undefined, 'expected object, got undefined'],
  ])('rejects %j at the root', (input, message) => {
    expect(validateFlag(input)).toEqual({ ok: false, problems: [{ path: '', message }] });
  });

  it('reports unknown fields, with a hint for near misses', () => {
    expect(problemsOf(validateFlag({ ...flagInput(), description2: 'x', owner: 'me' }))).toEqual([
      'description2: unknown field (did you mean "description"?)',
      'owner: unknown field',
    ]);
  });

  it('reports every missing required field', () => {
    expect(problemsOf(validateFlag({}))).toEqual([
      'key: required field is missing',
      'type: required field is missing',
      'variants: required field is missing',
      'salt: required field is missing',
    ]);
  });

  it('reports variant values of the wrong type', () => {
    const input = { ...flagInput(), variants: { on: 'true', off: false, maybe: null } };
    expect(problemsOf(validateFlag(input))).toEqual([
      'variants.on: expected boolean, got string',
      'variants.maybe: expected boolean, got null',
    ]);
  });

  it('requires object variants to be JSON objects, and numbers to be finite', () => {
    const object = { ...flagInput(), type: 'object', variants: { a: { x: 1 }, b: [1], c: null, d: 'x' } };
    expect(problemsOf(validateFlag(object))).toEqual([
      'variants.b: expected object, got array',
      'variants.c: expected object, got null',
      'variants.d: expected object, got string',
    ]);
    const number = { ...flagInput(), type: 'number', variants: { a: 1.5, b: Number.NaN, c: Infinity, d: '1' } };
    expect(problemsOf(validateFlag(number))).toEqual([
      'variants.b: expected number, got NaN',
      'variants.c: expected number, got Infinity',
      'variants.d: expected number, got string',
    ]);
  });

  it('rejects an unknown type with the list of types', () => {
    expect(problemsOf(validateFlag({ ...flagInput(), type: 'bool' }))).toEqual([
      'type: unknown type "bool" (expected one of boolean, string, number, object)',
    ]);
    expect(problemsOf(validateFlag({ ...flagInput(), type: 'Boolean' }))).toEqual([
      'type: unknown type "Boolean" (expected one of boolean, string, number, object) (did you mean "boolean"?)',
    ]);
  });

  it('checks keys, variant names, salt, description and tags', () => {
    const input = {
      ...flagInput(),
      key: '-bad key',
      variants: { 'no spaces': true, ok: false },
      salt: '0123456789ABCDEF0123456789ABCDEF',
      description: 'x'.repeat(2001),
      tags: ['ok', 7, '', 't'.repeat(65)],
    };
    expect(problemsOf(validateFlag(input))).toEqual([
      'key: invalid key "-bad key": use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'description: too long (2001 characters, at most 2000)',
      'tags[1]: expected string, got number',
      'tags[2]: must not be empty',
      'tags[3]: too long (65 characters, at most 64)',
      'variants["no spaces"]: invalid variant name "no spaces": use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'salt: expected exactly 32 lowercase hex digits',
    ]);
    expect(problemsOf(validateFlag({ ...flagInput(), key: 'k'.repeat(129) }))[0]).toMatch(/^key: invalid key "k{64}…"/);
  });

  it('bounds the number of variants and tags', () => {
    expect(problemsOf(validateFlag({ ...flagInput(), variants: {} }))).toEqual([
      'variants: expected 1 to 100 variants, got 0',
    ]);
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, true]));
    expect(problemsOf(validateFlag({ ...flagInput(), variants: many }))).toEqual([
      'variants: expected 1 to 100 variants, got 101',
    ]);
    const tags = Array.from({ length: 51 }, (_, i) => `t${i}`);
    expect(problemsOf(validateFlag({ ...flagInput(), tags }))).toEqual(['tags: expected at most 50 entries, got 51']);
  });

  it('takes trackExposures as a boolean and keeps it through a round trip', () => {
    for (const trackExposures of [true, false]) {
      const r = validateFlag({ ...flagInput(), trackExposures });
      expect(r.ok && r.value.trackExposures).toBe(trackExposures);
    }
    expect(problemsOf(validateFlag({ ...flagInput(), trackExposures: 'yes' }))).toEqual([
      'trackExposures: expected boolean, got string',
    ]);
  });

  it('copies object variants deeply, keeping __proto__ keys as plain data', () => {
    const input = JSON.parse(
      '{"key":"cfg","type":"object","salt":"0123456789abcdef0123456789abcdef",' +
        '"variants":{"a":{"__proto__":{"polluted":true},"list":[1,"two",null,{"deep":[true]}]}}}',
    ) as unknown;
    const r = validateFlag(input);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const a = r.value.variants.a as Record<string, unknown>;
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(Object.hasOwn(a, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(r.value.variants)).toBe(JSON.stringify((input as { variants: unknown }).variants));
    expect(a.list).not.toBe((input as { variants: { a: { list: unknown } } }).variants.a.list);
  });

  it('rejects a 10,000-deep object value without throwing, and accepts 64 levels', () => {
    const deep = (depth: number): Record<string, unknown> => {
      const root: Record<string, unknown> = {};
      let node = root;
      for (let i = 1; i < depth; i++) {
        const child: Record<string, unknown> = {};
        node.n = i % 2 === 0 ? child : [child];
        node = child;
        if (i % 2 === 1) i++; // an array and its object are two levels
      }
      return root;
    };
    const input = (v: unknown) => ({ ...flagInput(), type: 'object', variants: { x: v } });
    expect(problemsOf(validateFlag(input(deep(10_000))))).toEqual(['variants.x: nested deeper than 64 levels']);
    let ok: Record<string, unknown> = { leaf: 1 };
    for (let i = 1; i < 64; i++) ok = { n: ok };
    expect(validateFlag(input(ok)).ok).toBe(true);
    expect(problemsOf(validateFlag(input({ n: ok })))).toEqual(['variants.x: nested deeper than 64 levels']);
  });

  it(`caps the report at ${MAX_PROBLEMS} problems`, () => {
    const exactly: Record<string, unknown> = flagInput();
    for (let i = 0; i < MAX_PROBLEMS; i++) exactly[`junk${i}`] = i;
    expect(problemsOf(validateFlag(exactly))).toHaveLength(MAX_PROBLEMS);
    expect(problemsOf(validateFlag(exactly))[MAX_PROBLEMS - 1]).toBe('junk99: unknown field');

    const input: Record<string, unknown> = flagInput();
    for (let i = 0; i < 100_000; i++) input[`junk${i}`] = i;
    const r = validateFlag(input);
    if (r.ok) throw new Error('unexpected');
    expect(r.problems).toHaveLength(MAX_PROBLEMS);
    expect(r.problems[0]).toEqual<Problem>({ path: 'junk0', message: 'unknown field' });
    expect(r.problems[MAX_PROBLEMS - 2]).toEqual<Problem>({ path: 'junk98', message: 'unknown field' });
    expect(r.problems[MAX_PROBLEMS - 1]).toEqual<Problem>({
      path: '',
      message: 'too many problems; only the first 99 are listed',
    });
  });
});

describe('formatProblem', () => {
  it('prefixes the path, and omits it at the root', () => {
    expect(formatProblem({ path: 'rules[2].conditions[0].op', message: 'unknown operator "x"' })).toBe(
      'rules[2].conditions[0].op: unknown operator "x"',
    );
    expect(formatProblem({ path: '', message: 'expected object, got null' })).toBe('expected object, got null');
  });
});
