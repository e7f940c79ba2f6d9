/**
 * The bench's validation must be able to refuse an SDK: each broken adapter below differs from a
 * correct one in one way, and only that check must name it. A reference adapter (a tiny exact
 * evaluator of the mix, deterministic split by a string hash) passes, and so does the real SDK.
 */
import { describe, expect, it } from 'vitest';
import { randomKeys } from '../../../src/engine/test-support.ts';
import { createFlagshipAdapter } from './flagship-adapter.ts';
import { baseContexts, expectedRule, MIX, SPLIT, type BaseContext, type SdkAdapter } from './scenario.ts';
import { validateAdapter } from './validate-adapter.ts';

const splitBases = baseContexts(randomKeys(50_000, 5));
const bases = splitBases.slice(0, 3000);

/** FNV-1a of flag + key, mixed by murmur3's finalizer, into [0, 100). */
function percentile(flag: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `${flag}/${key}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) % 10_000) / 100;
}
function splitOf(flag: string, key: string): string {
  let p = percentile(flag, key);
  for (const [v, percent] of SPLIT) if ((p -= percent) < 0) return v;
  return SPLIT[SPLIT.length - 1]![0];
}
function valueOf(kind: string, flag: string, b: BaseContext): unknown {
  return kind === 'static' ? true : kind === 'rule' ? expectedRule(b) : splitOf(flag, b.key);
}

/** A correct adapter over plain `BaseContext` objects; `override` breaks one part of it. */
function reference(override: Partial<SdkAdapter<BaseContext>> = {}): SdkAdapter<BaseContext> {
  const loop =
    (f: (c: BaseContext) => unknown) =>
    (cs: readonly BaseContext[], from: number, n: number): number => {
      let hits = 0;
      for (let j = 0; j < n; j++) if (f(cs[(from + j) % cs.length]!)) hits++;
      return hits;
    };
  const correct = {
    static: () => true,
    rule: (c: BaseContext) => expectedRule(c),
    split: (c: BaseContext) => splitOf('mix-070', c.key),
    bulk100: (c: BaseContext) => MIX.map((f) => valueOf(f.kind, f.key, c)),
  };
  return {
    name: 'reference',
    async: false,
    setup: 'test',
    context: (b) => ({ ...b }),
    assign: (c, b) => Object.assign(c, b),
    ...correct,
    bulkValues: (c) => Object.fromEntries(MIX.map((f) => [f.key, valueOf(f.kind, f.key, c)])),
    close: () => undefined,
    loops: {
      static: loop(correct.static),
      rule: loop(correct.rule),
      split: loop(correct.split),
      bulk100: loop(correct.bulk100),
    },
    ...override,
  };
}

describe('validateAdapter', () => {
  it('accepts a correct adapter, synchronous or answering Promises', async () => {
    expect(await validateAdapter(reference(), bases, splitBases)).toEqual([]);
    const r = reference();
    const async = reference({
      async: true,
      static: async (c) => r.static(c),
      rule: async (c) => r.rule(c),
      split: async (c) => r.split(c),
      bulkValues: async (c) => r.bulkValues(c),
    });
    expect(await validateAdapter(async, bases, splitBases)).toEqual([]);
  });

  it('accepts this SDK configured with the mix', async () => {
    const flagship = createFlagshipAdapter();
    expect(await validateAdapter(flagship, bases, splitBases)).toEqual([]);
    await flagship.close();
  });

  it('refuses a static flag that is off for some contexts', async () => {
    const problems = await validateAdapter(reference({ static: (c) => c.plan !== 'team' }), bases, splitBases);
    expect(problems.join('\n')).toMatch(/^reference static: answered false/m);
  });

  it('refuses a rule that ignores the country', async () => {
    const problems = await validateAdapter(
      reference({ rule: (c) => (['pro', 'enterprise'].includes(c.plan) ? 'b' : 'a') }),
      bases,
      splitBases,
    );
    expect(problems.join('\n')).toMatch(/^reference rule: \d+ of 3000 contexts answered wrong/m);
  });

  it('refuses a split of 40/30/30', async () => {
    const skewed = (c: BaseContext) => {
      const p = percentile('mix-070', c.key);
      return p < 40 ? 'a' : p < 70 ? 'b' : 'c';
    };
    const problems = await validateAdapter(reference({ split: skewed }), bases, splitBases);
    expect(problems.join('\n')).toMatch(/^reference split: a got 4\d\.\d\d% over 50000 evaluations, want 33/m);
  });

  it('refuses a split that is not sticky (random per call)', async () => {
    const problems = await validateAdapter(
      reference({ split: () => splitOf('mix-070', String(Math.random())) }),
      bases,
      splitBases,
    );
    expect(problems.join('\n')).toMatch(/^reference split: not sticky/m);
  });

  it('refuses a bulk answer missing a flag', async () => {
    const r = reference();
    const missing = reference({
      bulkValues: (c) => {
        const { ['mix-099']: _dropped, ...rest } = r.bulkValues(c) as Record<string, unknown>;
        return rest;
      },
    });
    const problems = await validateAdapter(missing, bases, splitBases);
    expect(problems.join('\n')).toMatch(/^reference bulk100: 99 flags, want 100/m);
  });

  it('refuses a timed loop that does not evaluate what was validated', async () => {
    const r = reference();
    const problems = await validateAdapter(reference({ loops: { ...r.loops, static: () => 0 } }), bases, splitBases);
    expect(problems).toEqual([expect.stringMatching(/^reference loops: static counted 0 truthy answers of 200/)]);
  });

  it('refuses an SDK that caches answers per context object', async () => {
    // Answers are remembered by object identity: right for fresh objects, stale once one is mutated.
    const cached = <T>(f: (c: BaseContext) => T) => {
      const memo = new WeakMap<BaseContext, T>();
      return (c: BaseContext): T => {
        if (!memo.has(c)) memo.set(c, f(c));
        return memo.get(c)!;
      };
    };
    const r = reference();
    const problems = await validateAdapter(
      reference({ rule: cached(r.rule), split: cached(r.split), bulkValues: cached(r.bulkValues) }),
      bases,
      splitBases,
    );
    expect(problems.join('\n')).toMatch(/^reference cache: after mutating/m);
    // Only the cache check fails: fresh contexts are answered right.
    expect(problems.every((p) => p.startsWith('reference cache'))).toBe(true);
  });
});
