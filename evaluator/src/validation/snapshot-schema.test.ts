import { describe, expect, it } from 'vitest';
import { validateSnapshot } from './index.ts';
import { problemsOf, snapshotFlag, snapshotInput } from './test-fixtures.ts';

/** A snapshot holding exactly `flags` (and the fixture's segment). */
function withFlags(...flags: Array<Record<string, unknown>>) {
  return { ...snapshotInput(), flags: Object.fromEntries(flags.map((f) => [f.key as string, f])) };
}

describe('validateSnapshot', () => {
  it('accepts a valid snapshot and returns an equal, fresh copy', () => {
    const input = snapshotInput();
    const r = validateSnapshot(JSON.parse(JSON.stringify(input)));
    expect(r).toEqual({ ok: true, value: input });
    const again = validateSnapshot(input);
    expect(again.ok && again.value.flags).not.toBe(input.flags);
  });

  it.each([
    [null, 'expected object, got null'],
    [[], 'expected object, got array'],
    ['snapshot', 'expected object, got string'],
  ])('rejects %j at the root', (input, message) => {
    expect(validateSnapshot(input)).toEqual({ ok: false, problems: [{ path: '', message }] });
  });

  it('checks the envelope', () => {
    const r = validateSnapshot({
      environment: 'prod env',
      version: -1,
      createdAt: 'yesterday',
      flags: [],
      segments: null,
      extra: 1,
    });
    expect(problemsOf(r)).toEqual([
      'extra: unknown field',
      'environment: invalid key "prod env": use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'version: expected an integer >= 0, got -1',
      'createdAt: invalid date "yesterday": expected RFC 3339, e.g. "2025-01-31T09:00:00Z"',
      'segments: expected object, got null',
      'flags: expected object, got array',
    ]);
  });

  it('prefixes flag and segment problems with their entry', () => {
    const input = snapshotInput() as { flags: Record<string, any>; segments: Record<string, any> };
    input.flags['new-checkout'].rules[0].conditions[0].op = 'startswith';
    input.flags['new-checkout'].variants.on = 'yes';
    input.flags['payments-v2'].version = 'one';
    input.segments['beta-users'].included.push('u1');
    expect(problemsOf(validateSnapshot(input))).toEqual([
      'segments.beta-users.included[2]: duplicate key "u1" (already in segments.beta-users.included[0])',
      'flags.new-checkout.variants.on: expected boolean, got string',
      'flags.new-checkout.rules[0].conditions[0].op: unknown operator "startswith" (did you mean "startsWith"?)',
      'flags.payments-v2.version: expected integer, got string',
    ]);
  });

  it('quotes keys with dots in paths', () => {
    const f = snapshotFlag('checkout.v2');
    f.enabled = 1;
    expect(problemsOf(validateSnapshot(withFlags(f)))).toEqual([
      'flags["checkout.v2"].enabled: expected boolean, got number',
    ]);
  });

  it('requires record keys to equal the key fields', () => {
    const input = snapshotInput() as { flags: Record<string, unknown>; segments: Record<string, unknown> };
    input.flags.other = snapshotFlag('payments-v3');
    input.segments.vip = { ...(input.segments['beta-users'] as object) };
    expect(problemsOf(validateSnapshot(input))).toEqual([
      'segments.vip.key: key "beta-users" does not match its entry name "vip"',
      'flags.other.key: key "payments-v3" does not match its entry name "other"',
    ]);
  });

  it('reports unknown segments, but not for a segment that exists and is itself invalid', () => {
    const input = snapshotInput() as { flags: Record<string, any>; segments: Record<string, any> };
    input.flags['new-checkout'].rules[1].conditions[0].values = ['beta-users', 'beta-user'];
    input.segments['beta-users'].version = 0;
    expect(problemsOf(validateSnapshot(input))).toEqual([
      'segments.beta-users.version: expected an integer >= 1, got 0',
      'flags.new-checkout.rules[1].conditions[0].values[1]: unknown segment "beta-user" (did you mean "beta-users"?)',
    ]);
  });

  it('requires prerequisites to name existing flags and variants', () => {
    const a = snapshotFlag('a', ['b', 'ghost']);
    (a.prerequisites as Array<{ variant: string }>)[0]!.variant = 'maybe';
    expect(problemsOf(validateSnapshot(withFlags(a, snapshotFlag('b'))))).toEqual([
      'flags.a.prerequisites[0].variant: flag "b" has no variant "maybe"',
      'flags.a.prerequisites[1].flag: unknown flag "ghost"',
    ]);
  });

  it('reports a 2-cycle of prerequisites', () => {
    const r = validateSnapshot(withFlags(snapshotFlag('b', ['a']), snapshotFlag('a', ['b'])));
    expect(problemsOf(r)).toEqual(['flags.a.prerequisites: prerequisite cycle a -> b -> a']);
  });

  it('reports a 3-cycle of prerequisites, and a self-reference once', () => {
    const r = validateSnapshot(
      withFlags(
        snapshotFlag('c', ['a']),
        snapshotFlag('a', ['b']),
        snapshotFlag('b', ['c']),
        snapshotFlag('d', ['a', 'd']),
      ),
    );
    expect(problemsOf(r)).toEqual([
      'flags.d.prerequisites[1].flag: a flag cannot be its own prerequisite',
      'flags.a.prerequisites: prerequisite cycle a -> b -> c -> a',
    ]);
  });

  it('validates a 1,000-flag snapshot quickly and keeps every flag', () => {
    const flags = Array.from({ length: 1000 }, (_, i) => {
      const f = {
        ...snapshotFlag(`flag-${i}`, i > 0 ? [`flag-${i - 1}`] : []),
        ...{ rules: (snapshotInput() as any).flags['new-checkout'].rules },
      };
      return f;
    });
    const r = validateSnapshot(withFlags(...flags));
    if (!r.ok) throw new Error(JSON.stringify(r.problems.slice(0, 3)));
    expect(Object.keys(r.value.flags)).toHaveLength(1000);
    expect(r.value.flags['flag-999']!.prerequisites).toEqual([{ flag: 'flag-998', variant: 'on' }]);
  });

  it('survives hostile record keys', () => {
    const input = JSON.parse(
      '{"environment":"e","version":1,"flags":{"__proto__":{"key":"__proto__"},"constructor":{}},"segments":{}}',
    ) as unknown;
    const r = validateSnapshot(input);
    expect(r.ok).toBe(false);
    expect(problemsOf(r)).toContain(
      'flags.__proto__.key: invalid key "__proto__": use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
    expect(problemsOf(r)).toContain('flags.constructor.key: required field is missing');
  });
});

describe('validateSnapshot on mutated input', () => {
  it('never throws, and every failure names at least one problem', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const replacements = (): unknown[] => [
      null,
      [],
      {},
      '',
      'x',
      0,
      -1,
      1.5,
      true,
      Infinity,
      'a'.repeat(3000),
      [null],
      { __proto__: 1 },
    ];
    for (let round = 0; round < 300; round++) {
      const input = JSON.parse(JSON.stringify(snapshotInput())) as unknown;
      // Collect every container slot, then overwrite a few of them with junk.
      const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
      const stack: unknown[] = [input];
      while (stack.length > 0) {
        const node = stack.pop();
        if (typeof node !== 'object' || node === null) continue;
        for (const k of Object.keys(node)) {
          const key = Array.isArray(node) ? Number(k) : k;
          slots.push([node as Record<string, unknown>, key]);
          stack.push((node as Record<string, unknown>)[k]);
        }
      }
      for (let m = 0; m < 3; m++) {
        const [container, key] = slots[Math.floor(random() * slots.length)]!;
        const junk = replacements();
        (container as Record<string | number, unknown>)[key] = junk[Math.floor(random() * junk.length)];
      }
      const r = validateSnapshot(input);
      if (!r.ok) expect(r.problems.length).toBeGreaterThan(0);
    }
  });
});
