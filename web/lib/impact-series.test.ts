import { describe, expect, it } from 'vitest';
import { exposureCharts, exposureTotals, impactMarkers, metricCharts, metricUnit } from './impact-series.ts';
import type { ImpactMetricView, ImpactView } from './impact-types.ts';

const ratio: ImpactMetricView = {
  key: 'conversion',
  name: 'Conversion',
  kind: 'ratio',
  better: 'higher',
  unit: null,
  source: 'project',
  perVariant: { on: [0.12, null, 0.1], off: [0.1, 0.09, null] },
  difference: { estimate: [0.02, null, null], lower: [-0.01, null, null], upper: [0.05, null, null] },
  queries: {},
};

const view = (over: Partial<ImpactView> = {}): ImpactView => ({
  project: 'shop',
  environment: 'shop.prod',
  flag: 'checkout',
  from: 1000,
  to: 1120,
  step: 60,
  timestamps: [1000, 1060, 1120],
  variants: ['off', 'on'],
  treatment: 'on',
  control: 'off',
  exposureQuery: 'q',
  exposures: {
    off: { counts: [30, 40, null], shares: [0.75, 0.5, null] },
    on: { counts: [10, 40, null], shares: [0.25, 0.5, null] },
  },
  metrics: [ratio],
  markers: [],
  ...over,
});

describe('impact charts', () => {
  it('draws exposures and shares per variant on the answer timestamps', () => {
    const [counts, shares] = exposureCharts(view());
    expect(counts).toMatchObject({ unit: 'number', xs: [1000, 1060, 1120] });
    expect(counts!.series.map((s) => [s.label, s.values])).toEqual([
      ['off', [30, 40, null]],
      ['on', [10, 40, null]],
    ]);
    expect(shares!.unit).toBe('percent');
    // Each variant keeps its colour in every chart.
    expect(counts!.series[1]!.color).toBe(shares!.series[1]!.color);
    expect(counts!.series[0]!.color).not.toBe(counts!.series[1]!.color);
  });

  it('adds a difference chart with its interval as a band only for a metric that has one', () => {
    const charts = metricCharts(
      view({ metrics: [ratio, { ...ratio, key: 'p99', kind: 'quantile', unit: 'ms', difference: undefined }] }),
    );
    expect(charts.map((c) => c.key)).toEqual(['metric-conversion', 'difference-conversion', 'metric-p99']);
    const diff = charts[1]!;
    expect(diff.band).toMatchObject({ lower: 1, upper: 2 });
    expect(diff.series.map((s) => s.values)).toEqual([
      [0.02, null, null],
      [-0.01, null, null],
      [0.05, null, null],
    ]);
    expect(charts[2]!.unit).toBe('number');
    expect(charts[2]!.title).toContain('(ms)');
  });

  it('shows a ratio in percent unless its unit says otherwise', () => {
    expect(metricUnit(ratio)).toBe('percent');
    expect(metricUnit({ ...ratio, unit: 'EUR' })).toBe('number');
  });

  it('totals exposures over the range, with null where nothing was counted', () => {
    expect(exposureTotals(view())).toEqual([
      { variant: 'off', count: 70, share: 70 / 120 },
      { variant: 'on', count: 50, share: 50 / 120 },
    ]);
    const empty = view({ exposures: { off: { counts: [null, null, null], shares: [null, null, null] } } });
    expect(exposureTotals(empty)).toEqual([
      { variant: 'off', count: null, share: null },
      { variant: 'on', count: null, share: null },
    ]);
  });

  it('marks a rollback as one and a person as a person', () => {
    const m = impactMarkers([
      { at: 1, time: '', kind: 'rollout', label: 'rolled back', actor: 'rollout-controller', event: 'rolled-back' },
      { at: 2, time: '', kind: 'rollout', label: 'step 2', actor: 'rollout-controller', event: 'step' },
      { at: 3, time: '', kind: 'audit', label: 'config update', actor: 'ada@example.com' },
    ]);
    expect(m.map((x) => x.kind)).toEqual(['rollback', 'automated', 'human']);
    expect(m[2]!.label).toBe('config update (ada@example.com)');
  });
});
