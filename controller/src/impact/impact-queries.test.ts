import { describe, expect, it } from 'vitest';
import { EXPOSURES_QUERY, promString, resolveTemplate } from './impact-queries.ts';
import { parseImpactRange, pointCount, timestampsOf } from './impact-range.ts';
import { differenceOf, ratioOf, sharesOf } from './impact-statistics.ts';
import { alignSeries, maskedAddress, sampleValue } from './prometheus-range.ts';
import { DomainError } from '../errors/domain-errors.ts';

const problemOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return e.details.problems?.[0]?.path;
    throw e;
  }
  return undefined;
};

describe('template resolution', () => {
  it('fills every placeholder, spaces inside the braces allowed, and leaves other text alone', () => {
    expect(
      resolveTemplate('x{f="{{flag}}",v="{{ variant }}",e="{{environment}}"}[{{window}}] {{other}}', {
        flag: 'checkout',
        variant: 'on',
        environment: 'shop.prod',
        window: '60s',
      }),
    ).toBe('x{f="checkout",v="on",e="shop.prod"}[60s] {{other}}');
  });
  it('escapes quotes, backslashes and line breaks so a value cannot leave its string literal', () => {
    const q = resolveTemplate('x{v="{{variant}}"}', {
      flag: 'f',
      variant: 'a"} or vector(1) # \\ \n',
      environment: 'e',
      window: '1s',
    });
    expect(q).toBe('x{v="a\\"} or vector(1) # \\\\ \\n"}');
    expect(promString('\\"')).toBe('\\\\\\"');
    // The value is one string literal: unescaping it (as PromQL's lexer does) gives it back.
    const literal = /v="((?:[^"\\]|\\.)*)"/.exec(q)![1]!;
    expect(JSON.parse(`"${literal}"`)).toBe('a"} or vector(1) # \\ \n');
  });
  it('the exposure query is per variant of one flag in one environment, over the step', () => {
    expect(resolveTemplate(EXPOSURES_QUERY, { flag: 'f', environment: 'p.e', window: '30s' })).toBe(
      'sum by (variant) (increase(evaluator_exposures_total{environment="p.e", flag="f"}[30s]))',
    );
  });
});

describe('impact range', () => {
  const now = 1_700_000_000;
  it('defaults: the last hour to now, about 300 points', () => {
    const r = parseImpactRange({}, now);
    expect(r).toEqual({ from: now - 3600, to: now, step: 12 });
    expect(pointCount(r)).toBe(301);
  });
  it('takes unix seconds, ISO times and durations', () => {
    expect(parseImpactRange({ from: '1735689600', to: '2025-01-01T00:01:00Z', step: '1m' }, now)).toEqual({
      from: 1735689600,
      to: 1735689660,
      step: 60,
    });
    expect(timestampsOf({ from: 10, to: 40, step: 15 })).toEqual([10, 25, 40]);
    expect(timestampsOf({ from: 10.5, to: 12, step: 1 })).toEqual([10.5, 11.5]);
  });
  it('refuses with the parameter named: to before from, a step under 1 s, over 11,000 points, bad text', () => {
    expect(problemOf(() => parseImpactRange({ from: '200', to: '100' }, now))).toBe('query.to');
    expect(problemOf(() => parseImpactRange({ step: '0' }, now))).toBe('query.step');
    expect(problemOf(() => parseImpactRange({ step: '0.5' }, now))).toBe('query.step');
    expect(problemOf(() => parseImpactRange({ from: '0', to: '11000', step: '1' }, now))).toBe('query.step');
    expect(parseImpactRange({ from: '0', to: '10999', step: '1' }, now).step).toBe(1);
    expect(problemOf(() => parseImpactRange({ from: 'yesterday' }, now))).toBe('query.from');
    expect(problemOf(() => parseImpactRange({ to: 'May 1 2025' }, now))).toBe('query.to');
  });
});

describe('series arithmetic', () => {
  it('aligns samples by time, sums series, and reads NaN/Inf as no data (null, never 0)', () => {
    const series = [
      {
        metric: { a: '1' },
        values: [
          [100, '1'],
          [110, 'NaN'],
          [130, '+Inf'],
        ] as Array<[number, string]>,
      },
      {
        metric: { a: '2' },
        values: [
          [100, '2'],
          [120, '5'],
        ] as Array<[number, string]>,
      },
    ];
    expect(alignSeries(series, 100, 10, 4)).toEqual([3, null, 5, null]);
    expect(sampleValue('-Inf')).toBeNull();
    expect(sampleValue('0')).toBe(0);
  });
  it('shares are of the point total; a point without exposures has no shares', () => {
    expect(sharesOf({ on: [1, null, 0], off: [3, null, 0] }, 3)).toEqual({
      on: [0.25, null, null],
      off: [0.75, null, null],
    });
    expect(ratioOf([1, 2, null, 1], [4, 0, 3, null])).toEqual([0.25, null, null, null]);
  });
  it('the difference has a symmetric interval that narrows with samples, and none for a non-proportion', () => {
    const d = differenceOf(
      { num: [10, 100, 30, null], den: [100, 1000, 10, 5] },
      { num: [5, 50, 5, 1], den: [100, 1000, 10, 5] },
    );
    expect(d.estimate[0]).toBeCloseTo(0.05);
    expect(d.estimate[1]).toBeCloseTo(0.05);
    expect(d.lower[0]! < 0.05 && d.upper[0]! > 0.05).toBe(true);
    expect(d.upper[0]! - 0.05).toBeCloseTo(0.05 - d.lower[0]!);
    expect(d.upper[1]! - d.lower[1]!).toBeLessThan(d.upper[0]! - d.lower[0]!);
    expect(d.estimate[2]).toBeCloseTo(2.5);
    expect([d.lower[2], d.upper[2]]).toEqual([null, null]);
    expect([d.estimate[3], d.lower[3], d.upper[3]]).toEqual([null, null, null]);
  });
  it('masks credentials and the query string out of the address it names', () => {
    expect(maskedAddress('https://user:secret@prom.example:9090/prom?token=x')).toBe('https://prom.example:9090/prom');
    expect(maskedAddress('http://127.0.0.1:9090')).toBe('http://127.0.0.1:9090');
  });
});
