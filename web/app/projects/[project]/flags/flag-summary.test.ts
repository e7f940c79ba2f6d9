import type { FlagConfig } from '@flagship/evaluator';
import { describe, expect, it } from 'vitest';
import { percentOf, splitText, summarize } from './flag-summary.ts';

const base: FlagConfig = {
  enabled: true,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'on' },
};
const rule = { conditions: [{ attribute: 'plan', op: 'in' as const, values: ['pro'] }], serve: { variant: 'on' } };
const split = {
  split: [
    { variant: 'on', weight: 30_000 },
    { variant: 'off', weight: 70_000 },
  ],
};

describe('summarize', () => {
  it('off names the off variant', () => {
    expect(summarize({ ...base, enabled: false, defaultRule: split })).toBe('off (serves off)');
  });

  it('a single default variant is on for everyone', () => {
    expect(summarize(base)).toBe('on for everyone: on');
    // A split that gives everything to one variant serves that variant.
    expect(
      summarize({
        ...base,
        defaultRule: {
          split: [
            { variant: 'on', weight: 0 },
            { variant: 'off', weight: 100_000 },
          ],
        },
      }),
    ).toBe('on for everyone: off');
  });

  it('a split default shows the percentages', () => {
    expect(summarize({ ...base, defaultRule: split })).toBe('30% on / 70% off');
  });

  it('rules, targets and prerequisites are counted before the default', () => {
    expect(summarize({ ...base, rules: [rule, rule], defaultRule: split })).toBe('2 rules + 30% on / 70% off');
    expect(
      summarize({
        ...base,
        targets: [
          { variant: 'on', values: ['u1', 'u2'] },
          { variant: 'off', values: ['u3'] },
        ],
        rules: [rule],
        defaultRule: { variant: 'off' },
      }),
    ).toBe('3 targets + 1 rule + else off');
    expect(summarize({ ...base, prerequisites: [{ flag: 'x', variant: 'on' }] })).toBe('1 prerequisite + else on');
    expect(summarize({ ...base, targets: [{ variant: 'on', values: ['u1'] }] })).toBe('1 target + else on');
  });

  it('a rollout replaces the default with its current weight', () => {
    const r = { environment: 'shop.prod', flag: 'f', treatment: 'on', weightPercent: 20, status: 'running' };
    expect(summarize({ ...base, defaultRule: split }, r)).toBe('rolling out: 20%');
    expect(summarize({ ...base, rules: [rule] }, { ...r, status: 'paused', weightPercent: 5.5 })).toBe(
      '1 rule + rolling out: 5.5% (paused)',
    );
    expect(summarize(base, { ...r, status: 'awaiting-approval' })).toBe('rolling out: 20% (awaiting approval)');
    // Off wins: a killed flag serves its off variant whatever the rollout says.
    expect(summarize({ ...base, enabled: false }, r)).toBe('off (serves off)');
  });
});

describe('percentages', () => {
  it('keep at most three decimals', () => {
    expect(percentOf(33_333)).toBe('33.333%');
    expect(percentOf(500)).toBe('0.5%');
    expect(percentOf(100_000)).toBe('100%');
  });

  it('leave out empty slices', () => {
    expect(
      splitText([
        { variant: 'a', weight: 50_000 },
        { variant: 'b', weight: 0 },
        { variant: 'c', weight: 50_000 },
      ]),
    ).toBe('50% a / 50% c');
    expect(splitText([])).toBe('an empty split');
  });
});
