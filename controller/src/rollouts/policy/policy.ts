/** Ramp policies: data (policies/*.yaml), validated by policy-schema.ts, referenced by name. */

/** What a failure, a long inconclusive stretch or provider errors lead to. */
export type PolicyAction = 'rollback' | 'pause';

export interface PolicyStep {
  /** Treatment exposure in percent (0 < weight <= 100, up to 3 decimals: the engine's 0.001% unit). */
  weight: number;
  /** The step holds at least this long (ms). */
  minDuration: number;
  /** Each arm needs this many samples (traffic query) before the step can pass. */
  minSamples: number;
  /** After this long (ms) without passing, the step is inconclusive-too-long: `onInconclusive`. */
  maxDuration?: number;
  /** Advancing past this step needs a human approval; a rollback never does. */
  approval: boolean;
}

export interface PrometheusProvider {
  /** Base URL; default from PROMETHEUS_URL. */
  address?: string;
  /** Per-query timeout (ms). */
  timeout: number;
  headers: Record<string, string>;
}

interface MetricCommon {
  name: string;
  /** Evaluated and recorded, but its verdict never moves the rollout. */
  dryRun: boolean;
  /** What an empty vector / NaN means. Never a silent pass: 'inconclusive' holds the step. */
  noData: 'inconclusive' | 'fail';
  /** Total failed checks tolerated in one rollout before `onFailure` (0: the first failure acts). */
  failureLimit: number;
  /** Failed checks in a row tolerated before `onFailure`. */
  consecutiveFailureLimit: number;
  /** Provider errors in a row tolerated before `onError`. */
  consecutiveErrorLimit: number;
}

/** An absolute guard on the treatment: its query's value must stay within [min, max]. */
export interface ThresholdMetric extends MetricCommon {
  kind: 'threshold';
  query: string;
  max?: number;
  min?: number;
}

/** Treatment against control on proportions (errors / total), by the sequential test. */
export interface ComparisonMetric extends MetricCommon {
  kind: 'comparison';
  errorsQuery: string;
  totalQuery: string;
  /** Always-valid false-alarm probability. */
  alpha: number;
  /** Tolerated increase of the treatment's proportion over the control's (absolute, e.g. 0.005). */
  maxIncrease: number;
}

export type PolicyMetric = ThresholdMetric | ComparisonMetric;

export interface Policy {
  name: string;
  description?: string;
  steps: PolicyStep[];
  analysis: { interval: number; initialDelay: number; prometheus: PrometheusProvider };
  /** Exposures per arm (`{{variant}}`): min samples and the sample-ratio check use it. */
  traffic: { query: string };
  /** p-value below which exposures are a sample-ratio mismatch. */
  srm: { threshold: number; action: PolicyAction };
  metrics: PolicyMetric[];
  onFailure: PolicyAction;
  onInconclusive: PolicyAction;
  onError: PolicyAction;
}

/** The placeholders a PromQL template may use. */
export const TEMPLATE_PLACEHOLDERS = ['flag', 'variant', 'environment', 'window'] as const;

/** Fills `{{flag}}`, `{{variant}}`, `{{environment}}` and `{{window}}`; label values are escaped for PromQL strings. */
export function renderQuery(template: string, values: Record<(typeof TEMPLATE_PLACEHOLDERS)[number], string>): string {
  return template.replace(/\{\{\s*(flag|variant|environment|window)\s*\}\}/g, (_, name: keyof typeof values) =>
    name === 'window' ? values.window : values[name].replace(/\\/g, '\\\\').replace(/"/g, '\\"'));
}

/** A Prometheus range-vector duration covering `ms`, in whole seconds (at least 1s). */
export function promDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}
