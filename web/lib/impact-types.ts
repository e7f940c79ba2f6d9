/**
 * The impact API's answer as the console reads it (docs/api.md "Metric definitions and impact":
 * `GET .../flags/{f}/impact` and `GET /projects/{p}/metrics`). Mirrored here because the console
 * talks to the controller over HTTP only.
 */

/** One value per timestamp; null is "no data" (an empty answer or NaN), never 0. */
export type Series = Array<number | null>;

export interface MetricDefinitionView {
  key: string;
  name: string;
  description?: string;
  kind: 'ratio' | 'quantile';
  better: 'higher' | 'lower';
  unit?: string;
  flags?: string[];
  /** `project`, or `policy:<name>` for a ramp policy's metric (read-only). */
  source: string;
  numerator?: string;
  denominator?: string;
  query?: string;
}

export interface ImpactMetricView {
  key: string;
  name: string;
  kind: 'ratio' | 'quantile';
  better: 'higher' | 'lower';
  unit: string | null;
  source: string;
  perVariant: Record<string, Series>;
  difference?: { estimate: Series; lower: Series; upper: Series };
  queries: Record<string, Record<string, string>>;
  error?: string;
}

export interface ImpactMarkerView {
  at: number;
  time: string;
  kind: 'audit' | 'rollout';
  label: string;
  actor: string;
  auditId?: string;
  action?: string;
  rolloutId?: number;
  event?: string;
}

export interface ImpactView {
  project: string;
  environment: string;
  flag: string;
  from: number;
  to: number;
  step: number;
  timestamps: number[];
  variants: string[];
  treatment: string | null;
  control: string | null;
  exposureQuery: string;
  exposures: Record<string, { counts: Series; shares: Series }>;
  metrics: ImpactMetricView[];
  markers: ImpactMarkerView[];
}
