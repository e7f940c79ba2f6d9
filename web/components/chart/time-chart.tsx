'use client';
/**
 * A time-series chart on a canvas (uPlot: it draws 10,000 points per series in a few ms, where a
 * React SVG path takes several times longer; web/bench measures both). The canvas is only a
 * picture: the same points are in a table below it, and every marker (a person's action, the
 * rollback) is a focusable button over the plot whose name says what happened and when.
 *
 * The table sits behind a disclosure and is rendered when it is opened: a 1,000-tick rollout's
 * charts would otherwise put thousands of rows into every page's HTML (bench:console's rollout
 * page), when the points are in the props anyway.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue } from './format.ts';

export interface ChartSeries {
  label: string;
  /** One value per x; null is a gap (no data at that tick). */
  values: Array<number | null>;
  color: string;
  dash?: number[];
  /** Drawn as steps (a weight that holds until the next change). */
  stepped?: boolean;
  /** Part of a band only: not listed in the legend's table of values. */
  bandEdge?: boolean;
}

export interface ChartMarker {
  /** Epoch seconds. */
  x: number;
  label: string;
  kind: 'human' | 'rollback' | 'automated';
}

export interface TimeChartProps {
  /** Names the chart (the canvas's aria-label and the table's caption). */
  title: string;
  /** Epoch seconds, ascending. */
  xs: number[];
  series: ChartSeries[];
  /** Fill between two series (indexes into `series`): a confidence band. */
  band?: { lower: number; upper: number; color: string };
  markers?: ChartMarker[];
  unit: 'percent' | 'number';
  height?: number;
  /** Show the table alternative open, not behind a disclosure (rendered on opening). */
  tableOpen?: boolean;
  testId?: string;
}

const timeText = (s: number) =>
  new Date(s * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

export function TimeChart(p: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const [placed, setPlaced] = useState<Array<{ left: number; marker: ChartMarker }>>([]);
  const [over, setOver] = useState<{ left: number; top: number; height: number }>();
  const [tableShown, setTableShown] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const t0 = performance.now();
    const width = Math.max(320, el.clientWidth || 800);
    const opts: uPlot.Options = {
      width,
      height: p.height ?? 240,
      legend: { show: true, live: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        {},
        {
          values: (_u, splits) => splits.map((v) => formatValue(v, p.unit)),
          size: 70,
        },
      ],
      series: [
        { label: 'time' },
        ...p.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.bandEdge ? 1 : 2,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.stepped ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}),
          spanGaps: false,
          value: (_u, v) => formatValue(v, p.unit),
        })),
      ],
      ...(p.band ? { bands: [{ series: [p.band.upper + 1, p.band.lower + 1], fill: p.band.color }] } : {}),
    };
    // Markers are placed once uPlot has drawn: before that its scales are unset (positions NaN).
    opts.hooks = {
      draw: [
        (u) => {
          el.dataset.drawMs = String(performance.now() - t0);
          el.dataset.drawn = 'true';
          const plot = el.parentElement!.getBoundingClientRect();
          const area = u.over.getBoundingClientRect();
          setOver({ left: area.left - plot.left, top: area.top - plot.top, height: area.height });
          setPlaced(
            (p.markers ?? [])
              .filter((m) => p.xs.length > 0 && m.x >= p.xs[0]! && m.x <= p.xs[p.xs.length - 1]!)
              .map((m) => ({ left: u.valToPos(m.x, 'x'), marker: m }))
              .filter((m) => Number.isFinite(m.left)),
          );
        },
      ],
    };
    const data = [p.xs, ...p.series.map((s) => s.values)] as uPlot.AlignedData;
    const u = new uPlot(opts, data, el);
    return () => u.destroy();
  }, [p.xs, p.series, p.band, p.markers, p.height, p.unit]);

  const shownSeries = p.series.filter((s) => !s.bandEdge || p.band);
  const table = () => (
    <table className="chart-table" data-testid={p.testId ? `${p.testId}-table` : undefined}>
      <caption>{p.title}: the chart's points</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          {shownSeries.map((s) => (
            <th scope="col" key={s.label}>
              {s.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {p.xs.map((x, i) => (
          <tr key={i}>
            <td>
              <time dateTime={new Date(x * 1000).toISOString()}>{timeText(x)}</time>
            </td>
            {shownSeries.map((s) => (
              <td key={s.label}>{formatValue(s.values[i], p.unit)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <figure className="chart" data-testid={p.testId}>
      <figcaption>{p.title}</figcaption>
      <div className="chart-plot">
        <div ref={box} role="img" aria-label={`${p.title} (chart; the table below holds the same points)`} />
        {over ? (
          <div
            className="chart-markers"
            style={{ left: `${over.left}px`, top: `${over.top}px`, height: `${over.height}px` }}
          >
            {placed.map(({ left, marker }, i) => (
              <button
                key={i}
                type="button"
                className={`chart-marker ${marker.kind}`}
                style={{ left: `${left}px` }}
                aria-label={`${marker.label} at ${timeText(marker.x)}`}
                title={`${marker.label} at ${timeText(marker.x)}`}
              >
                <span aria-hidden="true">{marker.kind === 'rollback' ? '✕' : '●'}</span>
              </button>
            ))}
          </div>
        ) : null}
      </div>
      {(p.markers ?? []).length > 0 ? (
        <ul className="chart-marker-list muted">
          {(p.markers ?? []).map((m, i) => (
            <li key={i}>
              <time dateTime={new Date(m.x * 1000).toISOString()}>{timeText(m.x)}</time>: {m.label}
            </li>
          ))}
        </ul>
      ) : null}
      {p.tableOpen ? (
        table()
      ) : (
        <details onToggle={(e) => setTableShown(e.currentTarget.open)}>
          <summary>Table of the chart's points ({p.xs.length})</summary>
          {tableShown ? table() : null}
        </details>
      )}
    </figure>
  );
}
