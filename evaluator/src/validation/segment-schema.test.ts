import { describe, expect, it } from 'vitest';
import { validateSegment } from './index.ts';
import { problemsOf, segmentInput } from './test-fixtures.ts';

describe('validateSegment', () => {
  it('accepts a valid segment and returns an equal, fresh copy', () => {
    const input = segmentInput();
    const r = validateSegment(JSON.parse(JSON.stringify(input)));
    expect(r).toEqual({ ok: true, value: input });
    const again = validateSegment(input);
    expect(again.ok && again.value.included).not.toBe(input.included);
  });

  it.each([
    [null, 'expected object, got null'],
    [[1, 2], 'expected object, got array'],
    ['beta', 'expected object, got string'],
  ])('rejects %j at the root', (input, message) => {
    expect(validateSegment(input)).toEqual({ ok: false, problems: [{ path: '', message }] });
  });

  it('reports duplicates within a list and keys in both lists', () => {
    const r = validateSegment({
      ...segmentInput(),
      included: ['u1', 'u2', 'u1', 'u3'],
      excluded: ['u3', 'u4', 'u4', 7],
    });
    expect(problemsOf(r)).toEqual([
      'included[2]: duplicate key "u1" (already in included[0])',
      'excluded[2]: duplicate key "u4" (already in excluded[1])',
      'excluded[3]: expected string, got number',
      'excluded[0]: key "u3" is also in included[3]',
    ]);
  });

  it('bounds the regex program of all matches conditions of one segment (256 instructions)', () => {
    // a{60} compiles to 62 instructions: four rules fit, the fifth goes over.
    const rule = (attribute: string) => ({ conditions: [{ attribute, op: 'matches', values: ['a{60}'] }] });
    const four = validateSegment({ ...segmentInput(), rules: ['a', 'b', 'c', 'd'].map(rule) });
    expect(four.ok ? [] : problemsOf(four)).toEqual([]);
    const five = validateSegment({ ...segmentInput(), rules: ['a', 'b', 'c', 'd', 'e'].map(rule) });
    expect(problemsOf(five)).toEqual([
      'rules[4].conditions[0].values: regex budget exceeded: the matches conditions of this segment compile to 310 instructions up to here (at most 256 per segment, since one evaluation may run them all)',
    ]);
  });

  it('forbids segment operators in segment rules', () => {
    const r = validateSegment({
      ...segmentInput(),
      rules: [
        {
          conditions: [
            { attribute: 'x', op: 'inSegment', values: ['other'] },
            { op: 'notInSegment', values: ['y'] },
          ],
        },
      ],
    });
    expect(problemsOf(r)).toEqual([
      'rules[0].conditions[0].op: segments cannot reference segments',
      'rules[0].conditions[1].op: segments cannot reference segments',
      'rules[0].conditions[1].attribute: required field is missing',
    ]);
  });

  it('checks the rules like flag rules', () => {
    const r = validateSegment({
      ...segmentInput(),
      rules: [{ id: 'r1', conditions: [{ attribute: 'email', op: 'matches', values: ['\\w{1,151}'] }] }],
    });
    expect(problemsOf(r)).toEqual([
      'rules[0].id: unknown field',
      'rules[0].conditions[0].values[0]: regex too large: its program has 303 instructions (at most 64)',
    ]);
  });

  it('checks key, version, description and unknown fields', () => {
    const r = validateSegment({ ...segmentInput(), key: 'beta users', version: 0, description: 5, owner: 'me' });
    expect(problemsOf(r)).toEqual([
      'owner: unknown field',
      'key: invalid key "beta users": use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'description: expected string, got number',
      'version: expected an integer >= 1, got 0',
    ]);
    expect(problemsOf(validateSegment({ ...segmentInput(), version: 1.5 }))).toEqual([
      'version: expected an integer >= 1, got 1.5',
    ]);
  });

  it('caps each list at 100,000 keys', () => {
    const included = Array.from({ length: 100_001 }, (_, i) => `u${i}`);
    expect(problemsOf(validateSegment({ ...segmentInput(), included }))).toEqual([
      'included: expected at most 100000 entries, got 100001',
    ]);
  });

  it('validates a 10,000-key segment quickly and keeps every key', () => {
    const included = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
    const excluded = Array.from({ length: 10_000 }, (_, i) => `blocked-${i}`);
    const r = validateSegment({ ...segmentInput(), included, excluded });
    expect(r.ok && r.value.included).toEqual(included);
    expect(r.ok && r.value.excluded).toEqual(excluded);
  });

  it('reports at most 100 problems for a list of 100,000 duplicates', () => {
    const r = validateSegment({ ...segmentInput(), included: Array(100_000).fill('same') });
    expect(problemsOf(r)).toHaveLength(100);
  });
});
