/**
 * The status page's numbers (docs/slo.md), shaped from Prometheus answers: per SLO the error budget
 * left over 30 days and the burn rates of the alerting windows, from the recording rules in
 * prometheus/rules/ (`slo:objective:ratio`, `slo:error_ratio:rate<window>`), and the alerts
 * Prometheus holds. Pure: no I/O, so it is tested on recorded answers (status-slo.test.ts).
 */

/** The windows the page shows, as the recording rules name them. */
export const BURN_WINDOWS = ['5m', '1h', '6h', '3d'] as const;
export type BurnWindow = (typeof BURN_WINDOWS)[number];

/** What the page says about each SLO the rules define (docs/slo.md); an unknown one shows its label. */
export const SLO_NAMES: Record<string, string> = {
  'evaluator-availability': 'Evaluator availability',
  'evaluator-latency-single': 'Single-flag evaluation under 10 ms',
  'evaluator-latency-bulk': 'Bulk evaluation under 25 ms',
  propagation: 'Change served within 1 s',
  'rollout-ticks': 'Analysis tick within 2 intervals',
  'admin-api-availability': 'Admin API and console availability',
};

/** One instant-vector sample as Prometheus sends it. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One alert of Prometheus' `/api/v1/alerts`. */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value?: string;
}

export interface SloStatus {
  slo: string;
  name: string;
  objective: number;
  /** Fraction of the 30-day budget left (1 untouched, 0 spent, below 0 overspent); null without data. */
  budgetLeft: number | null;
  /** Burn rate per window: the error ratio over the budget ratio (1 spends the budget in exactly 30 days); null without data. */
  burn: Record<BurnWindow, number | null>;
}

export interface AlertStatus {
  name: string;
  severity: string;
  state: 'pending' | 'firing';
  summary: string;
  runbookUrl: string | undefined;
  since: string | undefined;
  labels: Record<string, string>;
}

const finite = (s: string | undefined): number | null => {
  if (s === undefined) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

/** Joins the objective and the error ratios by their `slo` label, ordered as {@link SLO_NAMES}. */
export function shapeSlos(
  objectives: PromSample[],
  ratios30d: PromSample[],
  burn: Record<BurnWindow, PromSample[]>,
): SloStatus[] {
  const bySlo = (samples: PromSample[]) => new Map(samples.map((s) => [s.metric.slo ?? '', s.value[1]]));
  const spent = bySlo(ratios30d);
  const windows = Object.fromEntries(BURN_WINDOWS.map((w) => [w, bySlo(burn[w])])) as Record<
    BurnWindow,
    Map<string, string>
  >;
  const order = Object.keys(SLO_NAMES);
  const rank = (slo: string) => (order.includes(slo) ? order.indexOf(slo) : order.length);
  return objectives
    .map((o) => {
      const slo = o.metric.slo ?? '';
      const objective = Number(o.value[1]);
      const budget = 1 - objective;
      const ratio = finite(spent.get(slo));
      const rate = (w: BurnWindow) => {
        const r = finite(windows[w].get(slo));
        return r === null || budget <= 0 ? null : r / budget;
      };
      return {
        slo,
        name: SLO_NAMES[slo] ?? slo,
        objective,
        budgetLeft: ratio === null || budget <= 0 ? null : 1 - ratio / budget,
        burn: Object.fromEntries(BURN_WINDOWS.map((w) => [w, rate(w)])) as Record<BurnWindow, number | null>,
      };
    })
    .filter((s) => s.slo !== '' && Number.isFinite(s.objective))
    .sort((a, b) => rank(a.slo) - rank(b.slo) || a.slo.localeCompare(b.slo));
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** Pending and firing alerts, firing first, then by severity and name. */
export function shapeAlerts(alerts: PromAlert[]): AlertStatus[] {
  return alerts
    .filter((a): a is PromAlert & { state: 'pending' | 'firing' } => a.state === 'firing' || a.state === 'pending')
    .map((a) => ({
      name: a.labels.alertname ?? '(unnamed)',
      severity: a.labels.severity ?? 'none',
      state: a.state,
      summary: a.annotations.summary ?? '',
      runbookUrl: a.annotations.runbook_url,
      since: a.activeAt,
      labels: Object.fromEntries(
        Object.entries(a.labels).filter(([k]) => k !== 'alertname' && k !== 'severity' && k !== 'slo'),
      ),
    }))
    .sort(
      (a, b) =>
        (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1) ||
        (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
        a.name.localeCompare(b.name),
    );
}

/** `99.99%`, `-12.5%`: a fraction as a percentage with at most two decimals. */
export function percent(x: number): string {
  return `${Number((x * 100).toFixed(2))}%`;
}

/** `0.4x`, `14.4x`: a burn rate. */
export function burnRate(x: number): string {
  return `${x >= 10 ? x.toFixed(0) : Number(x.toFixed(2))}x`;
}
