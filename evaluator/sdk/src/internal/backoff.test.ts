import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

const o = { initialMs: 100, maxMs: 1000 };

describe('backoffDelay', () => {
  it('doubles the cap per attempt up to maxMs, drawing in [cap/2, cap)', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('spreads a fleet: 1,000 draws for the same attempt are not one value', () => {
    const draws = new Set(Array.from({ length: 1000 }, () => backoffDelay(3, o)));
    expect(draws.size).toBeGreaterThan(100);
    for (const d of draws) {
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThan(800);
    }
  });

  it('survives absurd attempts (no Infinity, no NaN)', () => {
    expect(backoffDelay(1e9, o, () => 0.5)).toBe(750);
    expect(backoffDelay(-3, o, () => 0)).toBe(50);
  });
});
