import { describe, expect, it } from 'vitest';
import type { Flag } from '../model/flag.ts';
import { MAX_REGEX_PROGRAM_PER_CONFIG } from './config-schema.ts';
import { validateFlag, validateFlagConfig } from './index.ts';
import { configInput, flagInput, problemsOf } from './test-fixtures.ts';

const flag = (() => {
  const r = validateFlag(flagInput());
  if (!r.ok) throw new Error('fixture flag is invalid');
  return r.value;
})();
const segments: ReadonlySet<string> = new Set(['beta-users', 'staff']);

/** Validates a config built from the valid fixture with `change` applied to it. */
function check(change: (c: Record<string, any>) => void, f: Flag = flag) {
  const input = configInput() as Record<string, any>;
  change(input);
  return validateFlagConfig(input, f, segments);
}

/** The one-condition config whose only rule has `condition`. */
function withCondition(condition: unknown) {
  return check((c) => {
    c.rules = [{ conditions: [condition], serve: { variant: 'on' } }];
  });
}

describe('validateFlagConfig', () => {
  it('accepts a valid config and returns an equal, fresh copy', () => {
    const input = configInput();
    const r = validateFlagConfig(JSON.parse(JSON.stringify(input)), flag, segments);
    expect(r).toEqual({ ok: true, value: input });
    const again = validateFlagConfig(input, flag, segments);
    expect(again.ok && again.value.rules).not.toBe(input.rules);
  });

  it.each([
    [null, 'expected object, got null'],
    [['enabled'], 'expected object, got array'],
    ['{}', 'expected object, got string'],
  ])('rejects %j at the root', (input, message) => {
    expect(validateFlagConfig(input, flag, segments)).toEqual({ ok: false, problems: [{ path: '', message }] });
  });

  it('reports unknown fields at every level', () => {
    const r = check((c) => {
      c.enabeld = true;
      c.rules[0].weight = 1;
      c.rules[0].conditions[0].negate = true;
      c.rules[1].serve.split[0].percent = 25;
      c.targets[0].note = 'x';
    });
    expect(problemsOf(r)).toEqual([
      'enabeld: unknown field (did you mean "enabled"?)',
      'targets[0].note: unknown field',
      'rules[0].weight: unknown field',
      'rules[0].conditions[0].negate: unknown field',
      'rules[1].serve.split[0].percent: unknown field',
    ]);
  });

  it('reports unknown variants wherever a variant is named', () => {
    const r = check((c) => {
      c.offVariant = 'offf';
      c.targets[1].variant = 'blue';
      c.rules[0].serve = { variant: 'ON' };
      c.rules[1].serve.split[1].variant = 'control';
      c.defaultRule = { variant: 'nope' };
    });
    expect(problemsOf(r)).toEqual([
      'offVariant: unknown variant "offf" (did you mean "off"?)',
      'targets[1].variant: unknown variant "blue"',
      'rules[0].serve.variant: unknown variant "ON" (did you mean "on"?)',
      'rules[1].serve.split[1].variant: unknown variant "control"',
      'defaultRule.variant: unknown variant "nope"',
    ]);
  });

  it('does not guess between equally near variants', () => {
    const twins = { ...flag, variants: { bat: true, cat: false } };
    const r = validateFlagConfig(
      { ...configInput(), offVariant: 'at', targets: [], rules: [], defaultRule: { variant: 'bat' } },
      twins,
      segments,
    );
    expect(problemsOf(r)).toEqual(['offVariant: unknown variant "at"']);
  });

  it('reports unknown segments', () => {
    const r = withCondition({ attribute: '', op: 'notInSegment', values: ['staff', 'beta-user', 'vip'] });
    expect(problemsOf(r)).toEqual([
      'rules[0].conditions[0].values[1]: unknown segment "beta-user" (did you mean "beta-users"?)',
      'rules[0].conditions[0].values[2]: unknown segment "vip"',
    ]);
  });

  it('lets segment operators omit the attribute', () => {
    const r = withCondition({ op: 'inSegment', values: ['staff'] });
    expect(r.ok && r.value.rules[0]!.conditions[0]).toEqual({ attribute: '', op: 'inSegment', values: ['staff'] });
    expect(problemsOf(withCondition({ op: 'in', values: ['x'] }))).toEqual([
      'rules[0].conditions[0].attribute: required field is missing',
    ]);
  });

  it('requires split weights to sum to 100%', () => {
    const r = check((c) => {
      c.defaultRule = {
        split: [
          { variant: 'on', weight: 9_000 },
          { variant: 'off', weight: 90_000 },
        ],
      };
    });
    expect(problemsOf(r)).toEqual(['defaultRule.split: weights sum to 99000, expected 100000 (100%)']);
    const empty = check((c) => {
      c.defaultRule = { split: [] };
    });
    expect(problemsOf(empty)).toEqual(['defaultRule.split: weights sum to 0, expected 100000 (100%)']);
  });

  it('checks each split entry: integer weights in range, no repeated variant', () => {
    const r = check((c) => {
      c.defaultRule = {
        split: [
          { variant: 'on', weight: 50_000.5 },
          { variant: 'off', weight: -1 },
          { variant: 'on', weight: 100_001 },
          { variant: 'off', weight: '10' },
        ],
      };
    });
    expect(problemsOf(r)).toEqual([
      'defaultRule.split[0].weight: expected an integer from 0 to 100000, got 50000.5',
      'defaultRule.split[1].weight: expected an integer from 0 to 100000, got -1',
      'defaultRule.split[2].variant: duplicate variant "on" in split (already in defaultRule.split[0])',
      'defaultRule.split[2].weight: expected an integer from 0 to 100000, got 100001',
      'defaultRule.split[3].variant: duplicate variant "off" in split (already in defaultRule.split[1])',
      'defaultRule.split[3].weight: expected integer, got string',
    ]);
  });

  it('requires exactly one of variant or split in a serve', () => {
    expect(problemsOf(check((c) => (c.defaultRule = {})))).toEqual([
      'defaultRule: expected exactly one of "variant" or "split", got neither',
    ]);
    const both = check((c) => (c.defaultRule = { variant: 'on', split: [{ variant: 'on', weight: 100_000 }] }));
    expect(problemsOf(both)).toEqual(['defaultRule: expected exactly one of "variant" or "split", got both']);
  });

  it('reports duplicate target keys, across and within targets', () => {
    const r = check((c) => {
      c.targets = [
        { variant: 'on', values: ['u1', 'u2'] },
        { variant: 'off', values: ['u3', 'u4', 'u3', 'u1', ''] },
      ];
    });
    expect(problemsOf(r)).toEqual([
      'targets[1].values[2]: duplicate key "u3" (already in targets[1])',
      'targets[1].values[3]: duplicate key "u1" (already in targets[0])',
      'targets[1].values[4]: must not be empty',
    ]);
  });

  it('reports duplicate rule ids', () => {
    const r = check((c) => {
      c.rules.push(
        { id: 'staff', conditions: [], serve: { variant: 'on' } },
        { id: '', conditions: [], serve: { variant: 'on' } },
      );
    });
    expect(problemsOf(r)).toEqual([
      'rules[2].id: duplicate rule id "staff" (already in rules[0])',
      'rules[3].id: must not be empty',
    ]);
  });

  it('reports unknown operators (case-sensitive) with a hint', () => {
    expect(problemsOf(withCondition({ attribute: 'email', op: 'startswith', values: ['a'] }))).toEqual([
      'rules[0].conditions[0].op: unknown operator "startswith" (did you mean "startsWith"?)',
    ]);
    expect(problemsOf(withCondition({ attribute: 'email', op: 'like', values: ['a'] }))).toEqual([
      'rules[0].conditions[0].op: unknown operator "like"',
    ]);
    expect(problemsOf(withCondition({ attribute: 'email', op: 3, values: ['a'] }))).toEqual([
      'rules[0].conditions[0].op: expected string, got number',
    ]);
  });

  it('checks attributes and the number of values', () => {
    expect(problemsOf(withCondition({ attribute: '', op: 'in', values: [] }))).toEqual([
      'rules[0].conditions[0].attribute: must not be empty',
      'rules[0].conditions[0].values: expected 1 to 10000 entries, got 0',
    ]);
    expect(
      problemsOf(withCondition({ attribute: 'a'.repeat(257), op: 'in', values: Array(10_001).fill('x') })),
    ).toEqual([
      'rules[0].conditions[0].attribute: too long (257 characters, at most 256)',
      'rules[0].conditions[0].values: expected 1 to 10000 entries, got 10001',
    ]);
  });

  it.each([
    [
      'in',
      [true, null, {}],
      [
        'expected string or number, got boolean',
        'expected string or number, got null',
        'expected string or number, got object',
      ],
    ],
    ['startsWith', [1], ['expected string, got number']],
    ['contains', [['a']], ['expected string, got array']],
    ['lt', ['5', Number.NaN], ['expected a finite number, got string', 'expected a finite number, got NaN']],
    [
      'semverGte',
      ['v1.2.3', '1.2', '01.2.3', 1],
      [
        'invalid semver "v1.2.3": expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. "1.4.0"',
        'invalid semver "1.2": expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. "1.4.0"',
        'invalid semver "01.2.3": expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. "1.4.0"',
        'expected string, got number',
      ],
    ],
    [
      'before',
      ['2024-02-30', '2024-01-01T10:00:00', 'tomorrow', true],
      [
        'invalid date "2024-02-30": expected RFC 3339, e.g. "2025-01-31" or "2025-01-31T09:00:00Z" (a time needs an offset)',
        'invalid date "2024-01-01T10:00:00": expected RFC 3339, e.g. "2025-01-31" or "2025-01-31T09:00:00Z" (a time needs an offset)',
        'invalid date "tomorrow": expected RFC 3339, e.g. "2025-01-31" or "2025-01-31T09:00:00Z" (a time needs an offset)',
        'expected date string or epoch milliseconds, got boolean',
      ],
    ],
  ])('types the values of %s', (op, values, messages) => {
    const r = withCondition({ attribute: 'a', op, values });
    expect(problemsOf(r)).toEqual(messages.map((m, i) => `rules[0].conditions[0].values[${i}]: ${m}`));
  });

  it('accepts well-typed values for every operator', () => {
    const ok: Array<[string, unknown[]]> = [
      ['notIn', ['a', 1.5]],
      ['endsWith', ['@x.io']],
      ['lte', [0, -3.5]],
      ['gt', [1e9]],
      ['semverEq', ['1.0.0', '1.0.0-alpha.1+build.5', '0.0.0']],
      ['semverLt', ['10.20.30']],
      ['after', ['2024-02-29', '2024-01-01T10:00Z', '2024-01-01T10:00:00.123+05:30', 0]],
      ['matches', ['^(foo|bar)$', '^v?\\d+\\.\\d+', '.*@acme\\.(com|io)$', '^user-[0-9]{1,6}$']],
    ];
    for (const [op, values] of ok) {
      const r = withCondition({ attribute: 'a', op, values });
      expect(r.ok ? [] : problemsOf(r), op).toEqual([]);
    }
  });

  it('reports invalid regexes with the engine message', () => {
    const r = withCondition({ attribute: 'email', op: 'matches', values: ['ok', '(unclosed', '[z-a]'] });
    expect(problemsOf(r)).toEqual([
      'rules[0].conditions[0].values[1]: invalid regex (RE2 syntax): missing closing ): `(unclosed`',
      'rules[0].conditions[0].values[2]: invalid regex (RE2 syntax): invalid character class range: `z-a`',
    ]);
  });

  it('reports regexes the linear engine cannot run, or not within the program-size bound', () => {
    const r = withCondition({
      attribute: 'email',
      op: 'matches',
      values: ['(?=a)b', '(a{1,5}){1,40}b', '(\\w+)\\1', 'x'.repeat(1001)],
    });
    expect(problemsOf(r)).toEqual([
      'rules[0].conditions[0].values[0]: invalid regex (RE2 syntax): invalid or unsupported Perl syntax: `(?=` (lookahead and lookbehind are not supported)',
      'rules[0].conditions[0].values[1]: regex too large: its program has more than 64 instructions (98 with repeat counts cut to 8)',
      'rules[0].conditions[0].values[2]: invalid regex (RE2 syntax): invalid escape sequence: `\\1` (backreferences are not supported)',
      'rules[0].conditions[0].values[3]: regex too long (1001 characters, at most 1000)',
    ]);
  });

  it('accepts nested quantifiers and repeated alternation: matching is linear (RE2)', () => {
    const r = withCondition({ attribute: 'email', op: 'matches', values: ['(a+)+$', '(a|ab)*c'] });
    expect(r.ok ? [] : problemsOf(r)).toEqual([]);
  });

  it("bounds one condition's patterns together, at the values", () => {
    const r = withCondition({ attribute: 'email', op: 'matches', values: ['a{30}', 'b{31}'] });
    expect(problemsOf(r)).toEqual([
      'rules[0].conditions[0].values: regexes too large together: their programs have 65 instructions (at most 64 per condition)',
    ]);
  });

  // a{60} compiles to 62 instructions: four conditions fit the per-config budget of 256, five do not.
  const bigRule = (attribute: string) => ({
    conditions: [{ attribute, op: 'matches', values: ['a{60}'] }],
    serve: { variant: 'on' },
  });

  it('accepts matches conditions up to the regex budget per config', () => {
    const r = check((c) => {
      c.rules = [bigRule('a'), bigRule('b'), bigRule('c'), bigRule('d')];
    });
    expect(r.ok ? [] : problemsOf(r)).toEqual([]);
  });

  it('bounds the regex program of all matches conditions of one config, at the condition that goes over', () => {
    const r = check((c) => {
      c.rules = [
        bigRule('a'),
        { conditions: [{ attribute: 'plan', op: 'in', values: ['pro'] }], serve: { variant: 'on' } },
        bigRule('b'),
        bigRule('c'),
        bigRule('d'),
        bigRule('e'),
      ];
    });
    expect(problemsOf(r)).toEqual([
      `rules[5].conditions[0].values: regex budget exceeded: the matches conditions of this config compile to 310 instructions up to here (at most ${MAX_REGEX_PROGRAM_PER_CONFIG} per config, since one evaluation may run them all)`,
    ]);
    expect(MAX_REGEX_PROGRAM_PER_CONFIG).toBe(256);
  });

  it('counts several matches conditions of one rule against the same budget', () => {
    const r = withCondition({ attribute: 'a', op: 'matches', values: ['a{60}'] });
    expect(r.ok).toBe(true);
    const five = check((c) => {
      c.rules = [
        {
          conditions: ['a', 'b', 'c', 'd', 'e'].map((attribute) => ({ attribute, op: 'matches', values: ['a{60}'] })),
          serve: { variant: 'on' },
        },
      ];
    });
    expect(problemsOf(five)).toEqual([
      'rules[0].conditions[4].values: regex budget exceeded: the matches conditions of this config compile to 310 instructions up to here (at most 256 per config, since one evaluation may run them all)',
    ]);
  });

  it('rejects a flag that is its own prerequisite, or names one flag twice', () => {
    const r = check((c) => {
      c.prerequisites = [
        { flag: 'new-checkout', variant: 'on' },
        { flag: 'other', variant: 'on' },
        { flag: 'other', variant: 'off' },
        { flag: 'bad flag', variant: '' },
      ];
    });
    expect(problemsOf(r)).toEqual([
      'prerequisites[0].flag: a flag cannot be its own prerequisite',
      'prerequisites[2].flag: duplicate prerequisite on flag "other" (already in prerequisites[1])',
      'prerequisites[3].flag: invalid flag key "bad flag": use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'prerequisites[3].variant: must not be empty',
    ]);
  });

  it('checks enabled, bucketBy, failMode and the rule count', () => {
    const r = check((c) => {
      c.enabled = 'yes';
      c.bucketBy = '';
      c.failMode = 'open';
      c.rules = Array.from({ length: 501 }, () => ({ conditions: [], serve: { variant: 'on' } }));
    });
    expect(problemsOf(r)).toEqual([
      'enabled: expected boolean, got string',
      'rules: expected at most 500 entries, got 501',
      'bucketBy: must not be empty',
      'failMode: expected "off" or "last", got "open"',
    ]);
  });

  it('reports every missing required field', () => {
    expect(problemsOf(validateFlagConfig({}, flag, segments))).toEqual([
      'enabled: required field is missing',
      'offVariant: required field is missing',
      'prerequisites: required field is missing',
      'targets: required field is missing',
      'rules: required field is missing',
      'defaultRule: required field is missing',
    ]);
  });
});
