import { describe, expect, it } from 'vitest';
import { sampleRatioMismatch, erfc } from './sample-ratio.ts';
import { compareProportions, type ArmCounts } from './sequential-test.ts';

/** xorshift32, so simulations are reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
function binomial(n: number, p: number, rnd: () => number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rnd() < p) k++;
  return k;
}

interface Simulation {
  rollouts: number;
  ticks: number;
  perTick: number;
  treatmentShare: number;
  pt: number;
  pc: number;
  alpha: number;
}

/** Share of simulated rollouts that fail at any tick, looking after every tick. */
function failureRate(
  sim: Simulation,
  seed: number,
  test: (t: ArmCounts, c: ArmCounts) => boolean,
): { rate: number; meanFailTick: number } {
  const rnd = prng(seed);
  let failed = 0;
  let tickSum = 0;
  for (let r = 0; r < sim.rollouts; r++) {
    const t = { errors: 0, total: 0 };
    const c = { errors: 0, total: 0 };
    for (let tick = 1; tick <= sim.ticks; tick++) {
      const nt = Math.round(sim.perTick * sim.treatmentShare);
      const nc = sim.perTick - nt;
      t.total += nt;
      t.errors += binomial(nt, sim.pt, rnd);
      c.total += nc;
      c.errors += binomial(nc, sim.pc, rnd);
      if (test(t, c)) {
        failed++;
        tickSum += tick;
        break;
      }
    }
  }
  return { rate: failed / sim.rollouts, meanFailTick: failed ? tickSum / failed : NaN };
}

const sequential = (alpha: number, planned: number) => (t: ArmCounts, c: ArmCounts) =>
  compareProportions(t, c, { alpha, maxIncrease: 0, plannedSamples: planned }).verdict === 'fail';

describe('sequential test on simulated rollouts', () => {
  const base: Simulation = {
    rollouts: 1_000,
    ticks: 40,
    perTick: 400,
    treatmentShare: 0.5,
    pt: 0.02,
    pc: 0.02,
    alpha: 0.05,
  };

  it('A/A: false alarms stay within alpha over 1,000 rollouts, looking every tick', () => {
    const { rate } = failureRate(base, 1, sequential(base.alpha, 8_000));
    expect(rate).toBeLessThanOrEqual(base.alpha);
  });

  it('A/A with an unequal 10/90 split and a low base rate: still within alpha', () => {
    const sim = { ...base, treatmentShare: 0.1, pt: 0.005, pc: 0.005 };
    const { rate } = failureRate(sim, 2, sequential(sim.alpha, 8_000));
    expect(rate).toBeLessThanOrEqual(sim.alpha);
  });

  it('a naive z-test peeking every tick would exceed alpha (why the sequence is needed)', () => {
    const naive = (t: ArmCounts, c: ArmCounts) => {
      const p = (t.errors + c.errors) / (t.total + c.total);
      const se = Math.sqrt(p * (1 - p) * (1 / t.total + 1 / c.total));
      return se > 0 && (t.errors / t.total - c.errors / c.total) / se > 1.645;
    };
    expect(failureRate(base, 3, naive).rate).toBeGreaterThan(base.alpha);
  });

  it('a tripled error rate is caught in nearly every rollout, within a few ticks', () => {
    const sim = { ...base, pt: 0.06 };
    const { rate, meanFailTick } = failureRate(sim, 4, sequential(sim.alpha, 8_000));
    expect(rate).toBeGreaterThan(0.99);
    expect(meanFailTick).toBeLessThan(6);
  });

  it('a degradation inside the allowed margin does not fail', () => {
    const r = compareProportions(
      { errors: 250, total: 10_000 },
      { errors: 200, total: 10_000 },
      { alpha: 0.05, maxIncrease: 0.01, plannedSamples: 20_000 },
    );
    expect(r.difference).toBeCloseTo(0.005);
    expect(r.verdict).toBe('pass');
  });

  it('an empty arm is never a failure', () => {
    expect(
      compareProportions(
        { errors: 5, total: 5 },
        { errors: 0, total: 0 },
        { alpha: 0.05, maxIncrease: 0, plannedSamples: 1000 },
      ).verdict,
    ).toBe('pass');
  });
});

describe('sample-ratio mismatch', () => {
  it('erfc matches known values', () => {
    expect(erfc(0)).toBeCloseTo(1, 6);
    expect(erfc(1)).toBeCloseTo(0.157299207, 6);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 6);
  });

  it('flags a 10% split that delivered 14%', () => {
    const r = sampleRatioMismatch(1_400, 8_600, 0.1);
    expect(r.mismatch).toBe(true);
    expect(r.pValue).toBeLessThan(1e-6);
  });

  it('accepts a 10% split that delivered 10.2% of 10,000', () => {
    const r = sampleRatioMismatch(1_020, 8_980, 0.1);
    expect(r.mismatch).toBe(false);
    expect(r.pValue).toBeGreaterThan(0.01);
  });

  it('A/A: fewer than 0.5% false mismatches over 1,000 simulated checks at p<0.001', () => {
    const rnd = prng(9);
    let mismatches = 0;
    for (let i = 0; i < 1_000; i++) {
      const t = binomial(2_000, 0.25, rnd);
      if (sampleRatioMismatch(t, 2_000 - t, 0.25).mismatch) mismatches++;
    }
    expect(mismatches).toBeLessThan(5);
  });
});
