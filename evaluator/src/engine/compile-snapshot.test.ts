/** The engine on its own terms: totality on hostile input, shared results, explanations. */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/flag.ts';
import { compileSnapshot, MAX_PREREQUISITE_DEPTH } from './compile-snapshot.ts';
import { makeFlag, makeSnapshot, prng, ramp } from './test-support.ts';

describe('results are shared, not allocated per call', () => {
  it('returns the same frozen object for the same outcome', () => {
    const engine = compileSnapshot(
      makeSnapshot([
        makeFlag('r', {
          rules: [{ conditions: [{ attribute: 'plan', op: 'in', values: ['pro'] }], serve: { variant: 'treatment' } }],
          defaultRule: ramp(50_000),
        }),
      ]),
    );
    const a = engine.evaluate('r', { targetingKey: 'u1', plan: 'pro' });
    expect(engine.evaluate('r', { targetingKey: 'u2', plan: 'pro' })).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toMatchObject({ variant: 'treatment', reason: 'TARGETING_MATCH' });
  });
});

describe('prerequisites', () => {
  it('a cycle in an unvalidated snapshot yields GENERAL errors instead of recursing forever', () => {
    const engine = compileSnapshot(
      makeSnapshot([
        makeFlag('a', { prerequisites: [{ flag: 'b', variant: 'control' }] }),
        makeFlag('b', { prerequisites: [{ flag: 'a', variant: 'control' }] }),
        makeFlag('c', { prerequisites: [{ flag: 'a', variant: 'control' }] }),
        makeFlag('d'),
      ]),
    );
    for (const key of ['a', 'b', 'c'])
      expect(engine.evaluate(key, {})).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(engine.evaluate('d', {})).toMatchObject({ reason: 'STATIC', variant: 'control' });
  });

  it('refuses chains deeper than the limit, and serves the ones within it', () => {
    const flags = [makeFlag('p0')];
    for (let i = 1; i <= MAX_PREREQUISITE_DEPTH + 1; i++)
      flags.push(makeFlag(`p${i}`, { prerequisites: [{ flag: `p${i - 1}`, variant: 'control' }] }));
    const engine = compileSnapshot(makeSnapshot(flags));
    expect(engine.evaluate(`p${MAX_PREREQUISITE_DEPTH}`, {})).toMatchObject({ reason: 'DEFAULT' });
    expect(engine.evaluate(`p${MAX_PREREQUISITE_DEPTH + 1}`, {})).toMatchObject({ errorCode: 'GENERAL' });
  });

  it('a prerequisite flag missing from the snapshot fails the prerequisite', () => {
    const engine = compileSnapshot(makeSnapshot([makeFlag('a', { prerequisites: [{ flag: 'gone', variant: 'on' }] })]));
    expect(engine.evaluate('a', {})).toMatchObject({ reason: 'PREREQUISITE_FAILED', variant: 'control' });
  });
});

describe('hostile contexts never throw', () => {
  const snapshot: Snapshot = makeSnapshot(
    [
      makeFlag('all-ops', {
        rules: [
          { conditions: [{ attribute: 'a', op: 'matches', values: ['^x+y$'] }], serve: { variant: 'treatment' } },
          { conditions: [{ attribute: 'a.b.c', op: 'semverGt', values: ['1.0.0'] }], serve: { variant: 'treatment' } },
          {
            conditions: [{ attribute: 'a', op: 'after', values: ['2020-01-01T00:00:00Z'] }],
            serve: { variant: 'treatment' },
          },
          {
            conditions: [
              { attribute: 'a', op: 'gte', values: [3] },
              { attribute: 'a', op: 'notIn', values: ['z'] },
            ],
            serve: { variant: 'treatment' },
          },
          { conditions: [{ attribute: '', op: 'inSegment', values: ['s'] }], serve: ramp(50_000) },
        ],
        defaultRule: ramp(50_000),
        bucketBy: 'a',
      }),
    ],
    {
      s: {
        key: 's',
        version: 1,
        included: ['k'],
        excluded: [],
        rules: [{ conditions: [{ attribute: 'a', op: 'contains', values: ['q'] }] }],
      },
    },
  );
  const engine = compileSnapshot(snapshot);

  it('on 10,000 random values of every JSON shape, in every attribute position', () => {
    const rnd = prng(42);
    const values: unknown[] = [
      null,
      undefined,
      true,
      0,
      -0,
      NaN,
      Infinity,
      1e308,
      '',
      'x'.repeat(100_000) + 'y',
      '\ud800',
      [],
      {},
      [[[]]],
      { b: { c: '2.0.0' } },
      '1.2.3-rc.1+b',
      '2021-02-03',
      Symbol.iterator,
    ];
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 10_000; i++) {
      const next: Record<string, unknown> = {};
      cursor.b = next;
      cursor = next;
    }
    values.push(deep);
    let errors = 0;
    for (let i = 0; i < 10_000; i++) {
      const pick = () => values[Math.floor(rnd() * values.length)];
      const context = { targetingKey: rnd() < 0.5 ? `k${i}` : pick(), a: pick() } as Record<string, unknown>;
      const r = engine.evaluate('all-ops', context);
      expect(['TARGETING_MATCH', 'SPLIT', 'ERROR']).toContain(r.reason);
      if (r.reason === 'ERROR') errors++;
    }
    // Non-string targetingKeys and missing bucketBy values are errors; most contexts are not.
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(10_000);
  });

  it('a pathological regex in an unvalidated snapshot never runs', () => {
    const bad = compileSnapshot(
      makeSnapshot([
        makeFlag('re', {
          rules: [
            { conditions: [{ attribute: 'a', op: 'matches', values: ['^(a+)+$'] }], serve: { variant: 'treatment' } },
          ],
        }),
      ]),
    );
    const started = performance.now();
    expect(bad.evaluate('re', { a: 'a'.repeat(40) + '!' })).toMatchObject({ reason: 'DEFAULT', variant: 'control' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('non-object contexts are INVALID_CONTEXT, for one flag and in bulk', () => {
    for (const context of [null, 42, 'ctx', [1, 2]]) {
      expect(engine.evaluate('all-ops', context as never)).toMatchObject({
        reason: 'ERROR',
        errorCode: 'INVALID_CONTEXT',
      });
      expect(engine.evaluateAll(context as never)).toEqual([
        expect.objectContaining({ key: 'all-ops', errorCode: 'INVALID_CONTEXT' }),
      ]);
    }
  });

  it('__proto__ and constructor in a context are plain data', () => {
    const context = JSON.parse('{"targetingKey":"k","__proto__":{"a":"xxy"},"constructor":"c"}');
    // k is in segment s, whose rule serves a ramp bucketed by `a`: `a` exists only under
    // `__proto__`, so it must read as missing, not as "xxy".
    expect(engine.explain('all-ops', context)).toMatchObject({
      ruleIndex: 4,
      result: { errorCode: 'TARGETING_KEY_MISSING' },
    });
    expect(({} as Record<string, unknown>).a).toBeUndefined();
    const own = compileSnapshot(
      makeSnapshot([
        makeFlag('c', {
          rules: [
            { conditions: [{ attribute: 'constructor', op: 'notIn', values: ['x'] }], serve: { variant: 'treatment' } },
          ],
        }),
      ]),
    );
    expect(own.evaluate('c', {}).variant).toBe('control');
    expect(own.evaluate('c', { constructor: 'y' }).variant).toBe('treatment');
  });
});

describe('explain', () => {
  it('names the rule, its conditions and the bucket', () => {
    const engine = compileSnapshot(
      makeSnapshot([
        makeFlag('x', {
          rules: [
            {
              id: 'nl',
              conditions: [
                { attribute: 'country', op: 'in', values: ['NL'] },
                { attribute: 'age', op: 'gte', values: [18] },
              ],
              serve: { variant: 'treatment' },
            },
            { id: 'ramp', conditions: [{ attribute: 'country', op: 'in', values: ['DE'] }], serve: ramp(100_000) },
          ],
        }),
      ]),
    );
    const e = engine.explain('x', { targetingKey: 'u', country: 'DE', age: 20 });
    expect(e).toMatchObject({
      decidedBy: 'rule',
      ruleIndex: 1,
      ruleId: 'ramp',
      result: { variant: 'treatment', reason: 'SPLIT' },
    });
    expect(e.rules).toEqual([
      { index: 0, id: 'nl', matched: false, conditions: [false, true] },
      { index: 1, id: 'ramp', matched: true, conditions: [true] },
    ]);
    expect(e.bucket).toBeGreaterThanOrEqual(0);
    expect(engine.explain('x', { country: 'FR' })).toMatchObject({
      decidedBy: 'default',
      result: { reason: 'DEFAULT' },
    });
    expect(engine.explain('nope', {})).toMatchObject({ decidedBy: 'error', result: { errorCode: 'FLAG_NOT_FOUND' } });
  });
});

describe('bulk', () => {
  it('evaluates every flag in key order with the same results as single evaluation', () => {
    const engine = compileSnapshot(
      makeSnapshot([makeFlag('b'), makeFlag('a', { defaultRule: ramp(50_000) }), makeFlag('c', { enabled: false })]),
    );
    const context = { targetingKey: 'user-7' };
    const all = engine.evaluateAll(context);
    expect(all.map((r) => r.key)).toEqual(['a', 'b', 'c']);
    for (const r of all) expect(engine.evaluate(r.key, context)).toBe(r);
    expect(all[2]).toMatchObject({ reason: 'DISABLED' });
  });
});
