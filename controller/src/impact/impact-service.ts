/**
 * The impact of a flag in one environment over time: exposures per variant (the evaluators'
 * counter), each requested metric per variant, the treatment - control difference of ratio
 * metrics with a confidence interval, and what happened meanwhile (audit entries and rollout
 * transitions) as markers. Shaped for charts: one `timestamps` array, and every series an array
 * of the same length where null is "no data".
 */
import type { AuditEntry } from '../audit/audit-store.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import { badRequest, notFound } from '../errors/domain-errors.ts';
import { type MetricDefinition, offeredFor, templatesOf } from '../metrics/metric-definition.ts';
import { type MetricSource, policyMetricDefinitions } from '../metrics/policy-metrics.ts';
import type { RolloutEvent } from '../rollouts/rollout-record.ts';
import type { PolicyCatalog } from '../rollouts/rollout-service.ts';
import { type Difference, differenceOf, ratioOf, type Series, sharesOf } from './impact-statistics.ts';
import { EXPOSURES_QUERY, EXPOSURES_VARIANT_LABEL, resolveTemplate } from './impact-queries.ts';
import { parseImpactRange, pointCount, timestampsOf } from './impact-range.ts';
import { alignSeries, type PrometheusTarget, PrometheusUnavailableError, queryRange } from './prometheus-range.ts';

/** Metrics one answer may hold (each is a query per variant, two for a ratio). */
export const MAX_METRICS = 10;
/** Prometheus queries one answer may send; beyond, ask for fewer metrics. */
export const MAX_QUERIES = 200;
/** Queries in flight at once: one page load must not monopolise Prometheus. */
const CONCURRENCY = 4;
/** Markers of each kind one answer holds at most (newest kept). */
export const MAX_MARKERS = 500;

export interface ImpactRequest {
  from?: string;
  to?: string;
  step?: string;
  /** Comma-separated metric keys; absent: the project's definitions offered for the flag. */
  metrics?: string;
  treatment?: string;
  control?: string;
}

export interface ImpactMetric {
  key: string;
  name: string;
  kind: MetricDefinition['kind'];
  better: MetricDefinition['better'];
  unit: string | null;
  source: MetricSource;
  /** A ratio: numerator / denominator per point; a quantile: the query's value. */
  perVariant: Record<string, Series>;
  /** Ratio metrics: treatment - control per point, with a 95 % interval (null bounds: no interval). */
  difference?: Difference;
  /** The PromQL sent, per variant and template field (copyable into Prometheus). */
  queries: Record<string, Record<string, string>>;
  /** Prometheus refused one of its queries (bad PromQL): the series are all null. */
  error?: string;
}

export interface ImpactMarker {
  /** Unix seconds, on the same axis as `timestamps`. */
  at: number;
  time: string;
  kind: 'audit' | 'rollout';
  label: string;
  actor: string;
  auditId?: string;
  action?: string;
  rolloutId?: number;
  event?: RolloutEvent['kind'];
}

export interface ImpactAnswer {
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
  metrics: ImpactMetric[];
  markers: ImpactMarker[];
}

type Offered = MetricDefinition & { source: MetricSource };

const iso = (seconds: number) => new Date(Math.round(seconds * 1000)).toISOString();
const refuse = (param: string, message: string) =>
  badRequest(`query parameter ${param} is invalid`, [{ path: `query.${param}`, message }], 'INVALID_PARAMETER');

/** Runs `tasks` at most `limit` at a time, results in order; the first rejection rejects. */
async function pooled<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const out = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

function chooseMetrics(offered: Offered[], flagKey: string, raw: string | undefined): Offered[] {
  if (raw === undefined)
    return offered.filter((d) => d.source === 'project' && offeredFor(d, flagKey)).slice(0, MAX_METRICS);
  const keys = [...new Set(raw.split(',').map((k) => k.trim()))].filter((k) => k !== '');
  if (keys.length > MAX_METRICS) throw refuse('metrics', `at most ${MAX_METRICS} metrics per request`);
  return keys.map((k) => {
    const d = offered.find((x) => x.key === k);
    if (!d) throw refuse('metrics', `unknown metric ${k}`);
    if (!offeredFor(d, flagKey)) throw refuse('metrics', `metric ${k} is not measured for flag ${flagKey}`);
    return d;
  });
}

function auditMarker(e: AuditEntry): ImpactMarker {
  return {
    at: Date.parse(e.at) / 1000,
    time: e.at,
    kind: 'audit',
    label: `${e.action} ${e.entityType} ${e.entityKey}${e.reason ? `: ${e.reason}` : ''}`,
    actor: e.actor.owner ?? e.actor.name,
    auditId: e.id,
    action: e.action,
  };
}

function rolloutMarker(e: RolloutEvent): ImpactMarker {
  return {
    at: Date.parse(e.at) / 1000,
    time: e.at,
    kind: 'rollout',
    label: `rollout ${e.rolloutId} ${e.kind} (step ${e.stepIndex + 1}, ${e.weightUnits / 1000}%)${e.reason ? `: ${e.reason}` : ''}`,
    actor: e.actor,
    rolloutId: e.rolloutId,
    event: e.kind,
  };
}

export class ImpactService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly policies: PolicyCatalog,
    private readonly prometheus: PrometheusTarget | undefined,
    private readonly now: () => string,
  ) {}

  async impact(projectKey: string, envKey: string, flagKey: string, q: ImpactRequest): Promise<ImpactAnswer> {
    const range = parseImpactRange(q, Date.parse(this.now()) / 1000);
    const facts = await this.uow.read(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const flag = await s.flags.get(projectKey, flagKey);
      if (!flag) throw notFound(`flag ${flagKey} of project ${projectKey}`);
      const own = await s.metrics.list(projectKey);
      const active = await s.rollouts.findActive(env.id, flagKey);
      const audit = await s.audit.query({
        flag: flagKey,
        environment: env.id,
        from: iso(range.from),
        to: iso(range.to),
        limit: MAX_MARKERS,
      });
      // The flag's last 50 rollouts in the environment: older ones ended before any range a chart shows.
      const events: RolloutEvent[] = [];
      for (const r of await s.rollouts.list({ environmentId: env.id, flagKey, limit: 50 }))
        for (const e of await s.rollouts.events(r.id)) {
          const at = Date.parse(e.at) / 1000;
          if (at >= range.from && at <= range.to) events.push(e);
        }
      events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      return { env, flag, own, active, audit, events };
    });
    const variants = Object.keys(facts.flag.definition.variants);
    const pick = (param: 'treatment' | 'control', given: string | undefined, fallback: string | undefined) => {
      if (given === undefined) return fallback ?? null;
      if (!variants.includes(given)) throw refuse(param, `must be a variant of ${flagKey}: ${variants.join(', ')}`);
      return given;
    };
    const treatment = pick('treatment', q.treatment, facts.active?.treatment ?? variants[0]);
    const control = pick('control', q.control, facts.active?.control ?? variants[1]);
    if (treatment !== null && treatment === control) throw refuse('control', 'must differ from treatment');
    const offered: Offered[] = [
      ...facts.own.map((r) => ({ ...r.definition, source: 'project' as const })),
      ...policyMetricDefinitions(this.policies),
    ];
    const chosen = chooseMetrics(offered, flagKey, q.metrics);
    const queryCount = 1 + chosen.reduce((n, d) => n + variants.length * Object.keys(templatesOf(d)).length, 0);
    if (queryCount > MAX_QUERIES)
      throw refuse('metrics', `would send ${queryCount} Prometheus queries (at most ${MAX_QUERIES}): ask for fewer`);
    if (!this.prometheus)
      throw new PrometheusUnavailableError(
        'PROMETHEUS_NOT_CONFIGURED',
        'the controller has no PROMETHEUS_URL: impact needs Prometheus',
      );

    const target = this.prometheus;
    const points = pointCount(range);
    const window = `${range.step}s`;
    const base = { flag: flagKey, environment: facts.env.id, window };
    const ask = (query: string) => queryRange(target, query, { start: range.from, end: range.to, step: range.step });

    const exposureQuery = resolveTemplate(EXPOSURES_QUERY, base);
    const perMetric = chosen.map((d) => {
      const fields = templatesOf(d);
      const queries: Record<string, Record<string, string>> = {};
      for (const v of variants)
        queries[v] = Object.fromEntries(
          Object.entries(fields).map(([f, t]) => [f, resolveTemplate(t, { ...base, variant: v })]),
        );
      return { d, queries };
    });
    // One flat list of queries, so the pool bounds the whole answer, exposures first.
    const flat = [exposureQuery, ...perMetric.flatMap((m) => variants.flatMap((v) => Object.values(m.queries[v]!)))];
    const answers = await pooled(
      flat.map((query) => () => ask(query)),
      CONCURRENCY,
    );

    const exposureAnswer = answers[0]!;
    if (!exposureAnswer.ok)
      throw new PrometheusUnavailableError(
        'PROMETHEUS_ERROR',
        `Prometheus refused the exposure query: ${exposureAnswer.message}`,
      );
    const counts: Record<string, Series> = {};
    for (const v of variants) counts[v] = new Array<number | null>(points).fill(null);
    const byVariant = new Map<string, typeof exposureAnswer.series>();
    for (const s of exposureAnswer.series) {
      const v = s.metric[EXPOSURES_VARIANT_LABEL] ?? '';
      byVariant.set(v, [...(byVariant.get(v) ?? []), s]);
    }
    for (const [v, series] of byVariant) counts[v] = alignSeries(series, range.from, range.step, points);
    const shares = sharesOf(counts, points);
    const exposures = Object.fromEntries(
      Object.keys(counts).map((v) => [v, { counts: counts[v]!, shares: shares[v]! }]),
    );

    let cursor = 1;
    const metrics = perMetric.map(({ d, queries }): ImpactMetric => {
      const values: Record<string, Record<string, Series>> = {};
      let error: string | undefined;
      for (const v of variants) {
        values[v] = {};
        for (const field of Object.keys(queries[v]!)) {
          const a = answers[cursor++]!;
          if (!a.ok) error ??= `${field} for variant ${v}: ${a.message}`;
          values[v][field] = a.ok ? alignSeries(a.series, range.from, range.step, points) : [];
        }
      }
      const empty = () => new Array<number | null>(points).fill(null);
      const perVariant: Record<string, Series> = {};
      for (const v of variants)
        perVariant[v] = error
          ? empty()
          : d.kind === 'ratio'
            ? ratioOf(values[v]!.numerator!, values[v]!.denominator!)
            : values[v]!.query!;
      const out: ImpactMetric = {
        key: d.key,
        name: d.name,
        kind: d.kind,
        better: d.better,
        unit: d.unit ?? null,
        source: d.source,
        perVariant,
        queries,
        ...(error ? { error } : {}),
      };
      if (d.kind === 'ratio' && treatment !== null && control !== null && !error) {
        const arm = (v: string) => ({ num: values[v]!.numerator!, den: values[v]!.denominator! });
        out.difference = differenceOf(arm(treatment), arm(control));
      }
      return out;
    });

    const markers = [...facts.audit.map(auditMarker), ...facts.events.slice(-MAX_MARKERS).map(rolloutMarker)].sort(
      (a, b) => a.at - b.at,
    );
    return {
      project: projectKey,
      environment: facts.env.id,
      flag: flagKey,
      from: range.from,
      to: range.to,
      step: range.step,
      timestamps: timestampsOf(range),
      variants: Object.keys(counts),
      treatment,
      control,
      exposureQuery,
      exposures,
      metrics,
      markers,
    };
  }
}
