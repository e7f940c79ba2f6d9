/**
 * The evaluation counters, sized for design scale (10,000 flags x 100 environments; the series
 * count is in docs/operations.md, "Exposure counts"):
 * - `evaluator_evaluations_total{environment, reason}`: every evaluation, the reason one of the
 *   fixed REASON_LABELS, so at most environments x 12 series;
 * - `evaluator_exposures_total{environment, flag, variant}`: per variant, only for the flags the
 *   snapshot marks trackExposures (an active rollout, an opt-in), what impact dashboards read as
 *   `sum by (variant) (increase(evaluator_exposures_total{environment="...", flag="..."}[w]))`.
 * A flag/variant/reason label set on every evaluation would be millions of series per evaluator.
 */
import { Counter, type Registry } from 'prom-client';
import type { EngineView } from '../ofrep/engine-view.ts';
import { REASON_LABELS } from '../ofrep/reason-labels.ts';

/** Where the counts come from: the views to harvest and the environments served now. */
export interface CountSource {
  /** Views retired since the last call, plus the current ones. */
  takeViews(): EngineView[];
  /** The environments served now, with their current view. */
  all(): ReadonlyArray<{ environment: string; view: EngineView }>;
}

/**
 * How long the exposure series of a flag that is no longer tracked stays exported, unchanged,
 * before it is dropped: longer than any scrape interval, so every scrape sees its final value
 * (an `increase()` across the end of a rollout stays right) and the process does not accumulate
 * a series for every flag that was ever rolled out.
 */
export const UNTRACKED_SERIES_TTL_MS = 10 * 60_000;

interface ExposureSeries {
  labels: { environment: string; flag: string; variant: string };
  /** When the series was first seen untracked and not counting (0: it is tracked, or still counting). */
  untrackedSince: number;
}

/** Registers the two counters; the scrape harvests the engine views' counts into them. */
export class EvaluationCounts {
  readonly evaluations: Counter<'environment' | 'reason'>;
  readonly exposures: Counter<'environment' | 'flag' | 'variant'>;
  private readonly series = new Map<string, ExposureSeries>();

  constructor(
    private readonly source: CountSource,
    registers: Registry[],
    private readonly now: () => number = Date.now,
  ) {
    // Both collect() callbacks harvest both counters: whichever the scrape reads first drains the
    // views (takeViews hands retired views out once), the second then finds nothing new.
    const harvest = () => this.harvest();
    this.evaluations = new Counter({
      name: 'evaluator_evaluations_total',
      help: 'Flag evaluations served, by environment and reason (ERROR:<code> for errors), every flag included.',
      labelNames: ['environment', 'reason'],
      registers,
      collect: harvest,
    });
    this.exposures = new Counter({
      name: 'evaluator_exposures_total',
      help: 'Variants served, by environment, flag and variant, for the flags the snapshot marks trackExposures (an active rollout, an opt-in).',
      labelNames: ['environment', 'flag', 'variant'],
      registers,
      collect: harvest,
    });
  }

  /** Moves the views' counts into the counters and drops exposure series no longer tracked. */
  harvest(): void {
    const counted = new Set<string>();
    for (const view of this.source.takeViews()) {
      const environment = view.environment;
      const counts = view.reasonCounts;
      for (let i = 0; i < counts.length; i++) {
        const n = counts[i]!;
        if (n === 0) continue;
        this.evaluations.inc({ environment, reason: REASON_LABELS[i]! }, n);
        counts[i] = 0;
      }
      for (const info of view.exposureInfos) {
        if (info.count === 0) continue;
        const key = `${environment}\0${info.flag}\0${info.variant}`;
        let series = this.series.get(key);
        if (series === undefined) {
          series = { labels: { environment, flag: info.flag, variant: info.variant }, untrackedSince: 0 };
          this.series.set(key, series);
        }
        this.exposures.inc(series.labels, info.count);
        info.count = 0;
        counted.add(key);
      }
    }
    this.dropUntracked(counted);
  }

  private dropUntracked(counted: ReadonlySet<string>): void {
    if (this.series.size === 0) return;
    const tracked = new Map<string, ReadonlySet<string>>();
    for (const s of this.source.all()) tracked.set(s.environment, s.view.engine.exposureTracked);
    const now = this.now();
    for (const [key, series] of this.series) {
      const { environment, flag } = series.labels;
      if (counted.has(key) || tracked.get(environment)?.has(flag) === true) {
        series.untrackedSince = 0;
      } else if (series.untrackedSince === 0) {
        series.untrackedSince = now;
      } else if (now - series.untrackedSince >= UNTRACKED_SERIES_TTL_MS) {
        this.exposures.remove(series.labels);
        this.series.delete(key);
      }
    }
  }
}
