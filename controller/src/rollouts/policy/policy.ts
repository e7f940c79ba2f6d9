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
    name === 'window' ? values.window : values[name].replace(/\\/g, '\\\\').replace(/"/g, '\\"'),
  );
}

/** A Prometheus range-vector duration covering `ms`, in whole seconds (at least 1s). */
export function promDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

// --- Secrets in Prometheus headers -------------------------------------------------------------
// A policy is data anyone with a viewer key can read (GET /policies, GET /rollouts/:id), so it
// never holds a credential: a header names it by environment variable, `${env:PROM_TOKEN}`, and
// only the workers resolve it, at query time, from their own environment.

const REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]{0,127})\}/g;
const ANY_PLACEHOLDER = /\$\{[^}]*\}?/g;
/** Header names whose value is a credential: it must come from a reference. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|token|secret|password|passwd|api-?key|auth/i;
/** `Bearer ${env:X}`, `${env:X}`: at most one scheme word before the reference. */
const CREDENTIAL_VALUE = /^(?:[A-Za-z][A-Za-z0-9-]{0,31} )?\$\{env:[A-Za-z_][A-Za-z0-9_]{0,127}\}$/;

/** What is wrong with a header value as written in a policy, or undefined. */
export function headerValueProblem(name: string, value: string): string | undefined {
  if (/[\r\n]/.test(value) || value.length > 1024) return 'expected a one-line string of at most 1024 characters';
  for (const m of value.matchAll(ANY_PLACEHOLDER)) {
    if (!new RegExp(`^${REFERENCE.source}$`).test(m[0]))
      return `${m[0]} is not a reference: write \${env:NAME} (letters, digits, _)`;
  }
  if (CREDENTIAL_HEADER.test(name) && !CREDENTIAL_VALUE.test(value)) {
    return 'a credential header takes its value from the workers\' environment, never the policy: write e.g. "Bearer ${env:PROM_TOKEN}"';
  }
  return undefined;
}

/** The environment variables a policy's headers reference. */
export function headerReferences(headers: Record<string, string>): string[] {
  return [...new Set(Object.values(headers).flatMap((v) => [...v.matchAll(REFERENCE)].map((m) => m[1]!)))];
}

/**
 * Headers with their references filled from `lookup` (the workers' environment), or the first
 * problem - never a resolved value in the message. An unset or empty variable is a problem:
 * sending `Bearer ` would look like a Prometheus that refuses us.
 */
export function resolveHeaders(
  headers: Record<string, string>,
  lookup: (name: string) => string | undefined,
): { ok: true; headers: Record<string, string> } | { ok: false; message: string } {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(headers)) {
    let missing: string | undefined;
    const value = template.replace(REFERENCE, (_all, variable: string) => {
      const v = lookup(variable);
      if (v === undefined || v === '') missing ??= variable;
      return v ?? '';
    });
    if (missing !== undefined)
      return {
        ok: false,
        message: `analysis.prometheus.headers.${name}: environment variable ${missing} is not set in the workers`,
      };
    if (/[\r\n]/.test(value))
      return {
        ok: false,
        message: `analysis.prometheus.headers.${name}: the value from the environment spans several lines`,
      };
    out[name] = value;
  }
  return { ok: true, headers: out };
}

/**
 * A policy as API responses show it: header values that are references (or plain text on a
 * non-credential header) as written, anything else - a literal credential in a policy stored with
 * a rollout before references existed - as "[redacted]".
 */
export function policyView(policy: Policy): Policy {
  const headers = policy.analysis.prometheus.headers;
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {}))
    shown[name] = headerValueProblem(name, value) === undefined ? value : '[redacted]';
  const address = policy.analysis.prometheus.address;
  return {
    ...policy,
    analysis: {
      ...policy.analysis,
      prometheus: {
        ...policy.analysis.prometheus,
        headers: shown,
        ...(address !== undefined ? { address: withoutUserinfo(address) } : {}),
      },
    },
  };
}

function withoutUserinfo(address: string): string {
  try {
    const u = new URL(address);
    if (u.username === '' && u.password === '') return address;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '[redacted]';
  }
}
