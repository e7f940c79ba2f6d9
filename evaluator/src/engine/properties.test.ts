/** Property tests over 100,000 random contexts: monotone ramps, uniform buckets, determinism. */
import { describe, expect, it } from 'vitest';
import { compileSnapshot } from './compile-snapshot.ts';
import { saltToKey, sipHashBucket } from './siphash24.ts';
import { makeFlag, makeSnapshot, ramp, randomKeys } from './test-support.ts';

const N = 100_000;
const keys = randomKeys(N, 0xc0ffee);

describe('monotone ramps', () => {
  it('no context leaves the treatment as its weight rises through a ramp', () => {
    const weights = [0, 1, 1_000, 5_000, 10_000, 25_000, 33_333, 50_000, 75_000, 99_999, 100_000];
    let inTreatment = new Uint8Array(N);
    let previousCount = 0;
    for (const weight of weights) {
      const engine = compileSnapshot(makeSnapshot([makeFlag('ramp', { defaultRule: ramp(weight) })]));
      const now = new Uint8Array(N);
      let left = 0;
      let count = 0;
      for (let i = 0; i < N; i++) {
        const r = engine.evaluate('ramp', { targetingKey: keys[i]! });
        if (r.variant === 'treatment') {
          now[i] = 1;
          count++;
        } else if (inTreatment[i] === 1) left++;
      }
      expect(left, `contexts that left the treatment at weight ${weight}`).toBe(0);
      expect(count).toBeGreaterThanOrEqual(previousCount);
      // The share served tracks the weight: within 1 percentage point at 100k contexts.
      expect(Math.abs(count / N - weight / 100_000)).toBeLessThan(0.01);
      inTreatment = now;
      previousCount = count;
    }
    expect(previousCount).toBe(N);
  });

  it('a rule ramp and the default ramp of one flag bucket a context the same way', () => {
    const flag = makeFlag('two', {
      rules: [{ conditions: [{ attribute: 'country', op: 'in', values: ['NL'] }], serve: ramp(30_000) }],
      defaultRule: ramp(30_000),
    });
    const engine = compileSnapshot(makeSnapshot([flag]));
    for (let i = 0; i < 10_000; i++) {
      const k = keys[i]!;
      expect(engine.evaluate('two', { targetingKey: k, country: 'NL' }).variant).toBe(
        engine.evaluate('two', { targetingKey: k }).variant,
      );
    }
  });
});

describe('uniformity', () => {
  it('100 bucket ranges each get their share within a chi-square bound', () => {
    const key = saltToKey('a3f1c2d4e5b60718293a4b5c6d7e8f90');
    const bins = new Array<number>(100).fill(0);
    for (const k of keys) bins[Math.floor(sipHashBucket(key, k) / 1000)]!++;
    const expected = N / 100;
    const chi2 = bins.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: the 0.999 quantile is 148.23.
    expect(chi2).toBeLessThan(148.23);
  });

  it('a different salt gives an independent assignment', () => {
    const a = saltToKey('a3f1c2d4e5b60718293a4b5c6d7e8f90');
    const b = saltToKey('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    let both = 0;
    for (const k of keys) if (sipHashBucket(a, k) < 50_000 && sipHashBucket(b, k) < 50_000) both++;
    // Independent halves overlap on a quarter of the contexts.
    expect(Math.abs(both / N - 0.25)).toBeLessThan(0.01);
  });
});

describe('determinism', () => {
  it('two separately compiled engines agree on every context, and repeated calls agree', () => {
    const snapshot = makeSnapshot([
      makeFlag('s', {
        defaultRule: {
          split: [
            { variant: 'treatment', weight: 33_333 },
            { variant: 'control', weight: 66_667 },
          ],
        },
      }),
    ]);
    const a = compileSnapshot(snapshot);
    const b = compileSnapshot(structuredClone(snapshot));
    let treatment = 0;
    const disagreements: string[] = [];
    for (const k of keys) {
      const ra = a.evaluate('s', { targetingKey: k });
      if (b.evaluate('s', { targetingKey: k }).variant !== ra.variant || a.evaluate('s', { targetingKey: k }) !== ra)
        disagreements.push(k);
      if (ra.variant === 'treatment') treatment++;
    }
    expect(disagreements).toEqual([]);
    expect(Math.abs(treatment / N - 0.33333)).toBeLessThan(0.01);
  });
});
