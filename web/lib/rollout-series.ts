/**
 * A rollout's ticks and timeline as chart series (web/components/chart/time-chart.tsx): the
 * treatment weight over time, and each metric per arm with its threshold and, for comparisons,
 * the confidence band of the difference. Pure: the page passes the result to the client chart.
 */
import type { Measurement, RolloutDetail, TickView } from './rollout-types.ts';
import { chronological } from './rollout-verdict.ts';

export interface SeriesSpec {
  label: string;
  values: Array<number | null>;
  color: string;
  dash?: number[];
  stepped?: boolean;
  bandEdge?: boolean;
}

export interface ChartSpec {
  key: string;
  title: string;
  xs: number[];
  series: SeriesSpec[];
  band?: { lower: number; upper: number; color: string };
  unit: 'percent' | 'number';
}

export interface MarkerSpec {
  x: number;
  label: string;
  kind: 'human' | 'rollback' | 'automated';
}

const sec = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const value = (m: Measurement | undefined) => (m?.kind === 'value' && Number.isFinite(m.value) ? m.value : null);
const finite = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const TREATMENT = '#b4232a';
const CONTROL = '#1f5fa8';
const LIMIT = '#6b6b6b';

/** Human actions and the rollback, as chart markers. */
export function rolloutMarkers(r: RolloutDetail): MarkerSpec[] {
  return r.timeline
    .filter((e) => e.actor !== 'rollout-controller' || e.kind === 'rolled-back' || e.kind === 'paused')
    .map((e) => ({
      x: sec(e.at),
      label: `${e.kind} by ${e.actor}${e.reason ? `: ${e.reason}` : ''}`,
      kind:
        e.kind === 'rolled-back' || e.kind === 'aborted'
          ? 'rollback'
          : e.actor === 'rollout-controller'
            ? 'automated'
            : 'human',
    }));
}

/** The treatment weight (percent of 0..1) at every tick and transition, as steps. */
export function weightChart(r: RolloutDetail): ChartSpec {
  const points = [
    ...r.timeline.map((e) => ({ x: sec(e.at), w: e.weightUnits / 100_000 })),
    ...r.ticks.map((t) => ({ x: sec(t.at), w: t.weightUnits / 100_000 })),
  ].sort((a, b) => a.x - b.x);
  // One point per second (uPlot needs ascending, unique x): the last word at that second wins.
  const xs: number[] = [];
  const ws: number[] = [];
  for (const p of points) {
    if (xs.length > 0 && xs[xs.length - 1] === p.x) ws[ws.length - 1] = p.w;
    else {
      xs.push(p.x);
      ws.push(p.w);
    }
  }
  return {
    key: 'weight',
    title: `Treatment weight of ${r.treatment} over time`,
    xs,
    series: [{ label: `weight of ${r.treatment}`, values: ws, color: TREATMENT, stepped: true }],
    unit: 'percent',
  };
}

/** Metric charts: per metric of the policy, its values across ticks. */
export function metricCharts(r: RolloutDetail): ChartSpec[] {
  const ticks = chronological(r.ticks);
  const xs = ticks.map((t) => sec(t.at));
  const ev = (t: TickView, name: string) => t.evidence?.metrics?.find((m) => m.name === name);
  return r.policyDocument.metrics.map((m): ChartSpec => {
    if (m.kind === 'threshold') {
      const ratioLike = [m.max, m.min].every((b) => b === undefined || (b >= 0 && b <= 1));
      const series: SeriesSpec[] = [
        {
          label: `${m.name} (${r.treatment})`,
          values: ticks.map((t) => finite(ev(t, m.name)?.value)),
          color: TREATMENT,
        },
      ];
      if (m.max !== undefined)
        series.push({ label: `max ${m.max}`, values: ticks.map(() => m.max!), color: LIMIT, dash: [6, 4] });
      if (m.min !== undefined)
        series.push({ label: `min ${m.min}`, values: ticks.map(() => m.min!), color: LIMIT, dash: [6, 4] });
      return {
        key: m.name,
        title: `${m.name}: treatment against its guard`,
        xs,
        series,
        unit: ratioLike ? 'percent' : 'number',
      };
    }
    const stat = (t: TickView) => ev(t, m.name)?.statistic;
    const diff = ticks.map((t) => finite(stat(t)?.difference));
    const radius = ticks.map((t) => finite(stat(t)?.radius));
    return {
      key: m.name,
      title: `${m.name}: error rate per arm and the difference's confidence band`,
      xs,
      series: [
        { label: `${r.treatment} rate`, values: ticks.map((t) => finite(stat(t)?.treatmentRate)), color: TREATMENT },
        { label: `${r.control} rate`, values: ticks.map((t) => finite(stat(t)?.controlRate)), color: CONTROL },
        { label: 'difference', values: diff, color: '#222222' },
        {
          label: 'lower bound',
          values: ticks.map((t) => finite(stat(t)?.lowerBound)),
          color: '#8a6d00',
          bandEdge: true,
        },
        {
          label: 'upper bound',
          values: diff.map((d, i) => (d !== null && radius[i] !== null ? d + radius[i]! : null)),
          color: '#8a6d00',
          bandEdge: true,
        },
        {
          label: `allowed increase ${m.maxIncrease ?? 0}`,
          values: ticks.map(() => m.maxIncrease ?? 0),
          color: LIMIT,
          dash: [6, 4],
        },
      ],
      band: { lower: 3, upper: 4, color: 'rgba(138, 109, 0, 0.15)' },
      unit: 'percent',
    };
  });
}

/** The raw traffic (samples) per arm at a tick. */
export function samplesOf(t: TickView): { treatment: number | null; control: number | null } {
  return { treatment: value(t.evidence?.traffic?.treatment), control: value(t.evidence?.traffic?.control) };
}
