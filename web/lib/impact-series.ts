/**
 * The impact answer as charts (web/components/chart/time-chart.tsx) and totals: exposures per
 * variant and their shares, each metric per variant, and the treatment - control difference with
 * its interval as a band. Pure, so the page hands plain data to the client charts.
 */
import type { ChartMarker, ChartSeries } from '../components/chart/time-chart.tsx';
import type { ImpactMarkerView, ImpactMetricView, ImpactView, Series } from './impact-types.ts';

export interface ImpactChart {
  key: string;
  title: string;
  xs: number[];
  series: ChartSeries[];
  band?: { lower: number; upper: number; color: string };
  unit: 'percent' | 'number';
}

// Distinguishable without colour vision too: each arm also gets its own dash in the metric charts.
const PALETTE = ['#1f5fa8', '#b4232a', '#2e7d32', '#8a6d00', '#6a3d9a', '#00838f', '#5d4037', '#c2185b'];
const DASHES: Array<number[] | undefined> = [undefined, [6, 3], [2, 2], [10, 4, 2, 4]];

const colorOf = (view: ImpactView, variant: string) =>
  PALETTE[Math.max(0, view.variants.indexOf(variant)) % PALETTE.length]!;
const dashOf = (view: ImpactView, variant: string) =>
  DASHES[Math.max(0, view.variants.indexOf(variant)) % DASHES.length];

/** Audit entries and rollout transitions as markers; a rollback (or abort) is marked as one. */
export function impactMarkers(markers: ImpactMarkerView[]): ChartMarker[] {
  return markers.map((m) => ({
    x: m.at,
    label: `${m.label} (${m.actor})`,
    kind:
      m.kind === 'rollout' && (m.event === 'rolled-back' || m.event === 'aborted')
        ? 'rollback'
        : m.actor === 'rollout-controller' || m.actor === 'scheduler'
          ? 'automated'
          : 'human',
  }));
}

/** A ratio of counts is a share (shown in percent) unless its unit says otherwise. */
export const metricUnit = (m: ImpactMetricView): 'percent' | 'number' =>
  m.kind === 'ratio' && (m.unit === null || m.unit === '%') ? 'percent' : 'number';

export function exposureCharts(view: ImpactView): ImpactChart[] {
  const arms = view.variants.filter((v) => view.exposures[v]);
  const series = (pick: 'counts' | 'shares') =>
    arms.map((v) => ({ label: v, values: view.exposures[v]![pick], color: colorOf(view, v), dash: dashOf(view, v) }));
  return [
    {
      key: 'exposures',
      title: `Exposures per variant (per ${view.step} s)`,
      xs: view.timestamps,
      series: series('counts'),
      unit: 'number',
    },
    {
      key: 'shares',
      title: 'Share of exposures per variant',
      xs: view.timestamps,
      series: series('shares'),
      unit: 'percent',
    },
  ];
}

export function metricCharts(view: ImpactView): ImpactChart[] {
  const out: ImpactChart[] = [];
  for (const m of view.metrics) {
    const unit = metricUnit(m);
    const suffix = m.unit && unit === 'number' ? ` (${m.unit})` : '';
    out.push({
      key: `metric-${m.key}`,
      title: `${m.name} per variant${suffix}, ${m.better} is better`,
      xs: view.timestamps,
      series: Object.entries(m.perVariant).map(([v, values]) => ({
        label: v,
        values,
        color: colorOf(view, v),
        dash: dashOf(view, v),
      })),
      unit,
    });
    if (m.difference && view.treatment && view.control) {
      out.push({
        key: `difference-${m.key}`,
        title: `${m.name}: ${view.treatment} − ${view.control}, with its 95% interval`,
        xs: view.timestamps,
        series: [
          { label: 'difference', values: m.difference.estimate, color: '#222222' },
          { label: 'lower bound', values: m.difference.lower, color: '#8a6d00', dash: [4, 3] },
          { label: 'upper bound', values: m.difference.upper, color: '#8a6d00', dash: [4, 3] },
        ],
        band: { lower: 1, upper: 2, color: 'rgba(138, 109, 0, 0.15)' },
        unit,
      });
    }
  }
  return out;
}

const sum = (s: Series) => s.reduce<number>((a, v) => a + (v ?? 0), 0);

/** Exposures per variant over the whole range, with shares; null when no point had data. */
export function exposureTotals(
  view: ImpactView,
): Array<{ variant: string; count: number | null; share: number | null }> {
  const counts = view.variants.map((v) => {
    const s = view.exposures[v]?.counts ?? [];
    return { variant: v, count: s.some((x) => x !== null) ? sum(s) : null };
  });
  const all = counts.reduce((a, c) => a + (c.count ?? 0), 0);
  return counts.map((c) => ({ ...c, share: c.count === null || all === 0 ? null : c.count / all }));
}
