/**
 * Validates a ramp policy (parsed YAML or JSON) into a {@link Policy}, reporting every problem
 * with its path (`steps[2].weight: ...`), the same way the flag model's schemas do.
 */
import {
  ProblemCollector,
  checkArray,
  checkBoolean,
  checkInteger,
  checkKey,
  checkString,
  checkUnknownFields,
  describeType,
  expectRecord,
  own,
  pathIndex,
  pathKey,
  requirePresent,
  quote,
  type JsonRecord,
  type Validated,
} from '@flagship/evaluator';
import {
  headerValueProblem,
  TEMPLATE_PLACEHOLDERS,
  type Policy,
  type PolicyAction,
  type PolicyMetric,
  type PolicyStep,
  type ThresholdMetric,
} from './policy.ts';

const DURATION = /^(?:\d+(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+)(ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const MAX_DURATION_MS = 30 * 24 * 3_600_000;

/** `90s`, `5m`, `1h30m`, `250ms` -> milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(DURATION_PART)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/** Validates one policy document. */
export function validatePolicy(input: unknown): Validated<Policy> {
  const p = new ProblemCollector();
  const o = expectRecord(input, '', p);
  if (o === undefined) return p.result<Policy>(undefined);
  checkUnknownFields(
    o,
    '',
    new Set([
      'name',
      'description',
      'steps',
      'analysis',
      'traffic',
      'srm',
      'metrics',
      'onFailure',
      'onInconclusive',
      'onError',
    ]),
    p,
  );
  const name = requirePresent(o, 'name', '', p) ? checkKey(own(o, 'name'), 'name', p, 'policy name') : undefined;
  const description =
    own(o, 'description') === undefined
      ? undefined
      : checkString(own(o, 'description'), 'description', p, { max: 2000 });
  const steps = readSteps(o, p);
  const analysis = readAnalysis(o, p);
  const traffic = readTraffic(o, p);
  const srm = readSrm(o, p);
  const metrics = readMetrics(o, p);
  const onFailure = readAction(o, 'onFailure', '', p, 'rollback');
  const onInconclusive = readAction(o, 'onInconclusive', '', p, 'pause');
  const onError = readAction(o, 'onError', '', p, 'pause');
  if (analysis && analysis.prometheus.timeout > analysis.interval) {
    p.add('analysis.prometheus.timeout', 'must not be longer than analysis.interval');
  }
  if (
    p.total > 0 ||
    !name ||
    !steps ||
    !analysis ||
    !traffic ||
    !srm ||
    !metrics ||
    !onFailure ||
    !onInconclusive ||
    !onError
  ) {
    return p.result<Policy>(undefined);
  }
  const policy: Policy = { name, steps, analysis, traffic, srm, metrics, onFailure, onInconclusive, onError };
  if (description !== undefined) policy.description = description;
  return { ok: true, value: policy };
}

function readDuration(v: unknown, path: string, p: ProblemCollector, min = 0): number | undefined {
  const text = checkString(v, path, p, { max: 32 });
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) {
    p.add(path, `invalid duration ${quote(text)}: use e.g. "30s", "5m", "1h30m"`);
    return undefined;
  }
  if (ms < min || ms > MAX_DURATION_MS) {
    p.add(path, `must be between ${min} ms and 30 days`);
    return undefined;
  }
  return ms;
}

function readAction(
  o: JsonRecord,
  field: string,
  base: string,
  p: ProblemCollector,
  fallback: PolicyAction,
): PolicyAction | undefined {
  const v = own(o, field);
  if (v === undefined) return fallback;
  if (v === 'rollback' || v === 'pause') return v;
  p.add(
    pathKey(base, field),
    `expected "rollback" or "pause", got ${typeof v === 'string' ? quote(v) : describeType(v)}`,
  );
  return undefined;
}

function readSteps(o: JsonRecord, p: ProblemCollector): PolicyStep[] | undefined {
  if (!requirePresent(o, 'steps', '', p)) return undefined;
  const list = checkArray(own(o, 'steps'), 'steps', p, 50, 1);
  if (list === undefined) return undefined;
  const steps: PolicyStep[] = [];
  list.forEach((raw, i) => {
    const path = pathIndex('steps', i);
    const s = expectRecord(raw, path, p);
    if (s === undefined) return;
    checkUnknownFields(s, path, new Set(['weight', 'minDuration', 'minSamples', 'maxDuration', 'approval']), p);
    const weight = own(s, 'weight');
    let w: number | undefined;
    if (typeof weight !== 'number' || !Number.isFinite(weight))
      p.add(pathKey(path, 'weight'), `expected a number of percent, got ${describeType(weight)}`);
    else if (weight <= 0 || weight > 100)
      p.add(pathKey(path, 'weight'), `must be above 0 and at most 100 (percent), got ${weight}`);
    else if (Math.abs(weight * 1000 - Math.round(weight * 1000)) > 1e-6)
      p.add(pathKey(path, 'weight'), `at most 3 decimals (the engine's unit is 0.001%), got ${weight}`);
    else w = weight;
    const minDuration = requirePresent(s, 'minDuration', path, p)
      ? readDuration(own(s, 'minDuration'), pathKey(path, 'minDuration'), p)
      : undefined;
    const minSamples =
      own(s, 'minSamples') === undefined
        ? 0
        : checkInteger(own(s, 'minSamples'), pathKey(path, 'minSamples'), p, 0, 1e12);
    const maxDuration =
      own(s, 'maxDuration') === undefined
        ? undefined
        : readDuration(own(s, 'maxDuration'), pathKey(path, 'maxDuration'), p, 1);
    const approval =
      own(s, 'approval') === undefined ? false : checkBoolean(own(s, 'approval'), pathKey(path, 'approval'), p);
    if (maxDuration !== undefined && minDuration !== undefined && maxDuration < minDuration)
      p.add(pathKey(path, 'maxDuration'), 'must not be shorter than minDuration');
    const previous = steps[steps.length - 1];
    if (w !== undefined && previous !== undefined && w <= previous.weight)
      p.add(pathKey(path, 'weight'), `weights must rise step by step: ${w} after ${previous.weight}`);
    if (w === undefined || minDuration === undefined || minSamples === undefined || approval === undefined) return;
    const step: PolicyStep = { weight: w, minDuration, minSamples, approval };
    if (maxDuration !== undefined) step.maxDuration = maxDuration;
    steps.push(step);
  });
  const last = steps[steps.length - 1];
  if (steps.length === list.length && last !== undefined && last.weight !== 100)
    p.add(pathIndex('steps', list.length - 1) + '.weight', `the last step must reach 100, got ${last.weight}`);
  return steps.length === list.length ? steps : undefined;
}

function readAnalysis(o: JsonRecord, p: ProblemCollector): Policy['analysis'] | undefined {
  if (!requirePresent(o, 'analysis', '', p)) return undefined;
  const a = expectRecord(own(o, 'analysis'), 'analysis', p);
  if (a === undefined) return undefined;
  checkUnknownFields(a, 'analysis', new Set(['interval', 'initialDelay', 'prometheus']), p);
  const interval = requirePresent(a, 'interval', 'analysis', p)
    ? readDuration(own(a, 'interval'), 'analysis.interval', p, 1_000)
    : undefined;
  const initialDelay =
    own(a, 'initialDelay') === undefined ? 0 : readDuration(own(a, 'initialDelay'), 'analysis.initialDelay', p);
  const rawProm = own(a, 'prometheus') ?? {};
  const prom = expectRecord(rawProm, 'analysis.prometheus', p);
  if (prom === undefined || interval === undefined || initialDelay === undefined) return undefined;
  checkUnknownFields(prom, 'analysis.prometheus', new Set(['address', 'timeout', 'headers']), p);
  let address: string | undefined;
  if (own(prom, 'address') !== undefined) {
    address = checkString(own(prom, 'address'), 'analysis.prometheus.address', p, { max: 2048 });
    if (address !== undefined && !/^https?:\/\/[^\s]+$/.test(address)) {
      p.add('analysis.prometheus.address', `expected an http(s) URL, got ${quote(address)}`);
      address = undefined;
    }
    // Credentials in the address would be shown to every viewer: they go in a header reference.
    else if (address !== undefined && /^https?:\/\/[^/?#]*@/.test(address)) {
      p.add(
        'analysis.prometheus.address',
        'must not contain a user or password: use headers with ${env:NAME} references',
      );
      address = undefined;
    }
  }
  const timeout =
    own(prom, 'timeout') === undefined
      ? 5_000
      : readDuration(own(prom, 'timeout'), 'analysis.prometheus.timeout', p, 1);
  const headers: Record<string, string> = {};
  const rawHeaders = own(prom, 'headers');
  if (rawHeaders !== undefined) {
    const h = expectRecord(rawHeaders, 'analysis.prometheus.headers', p);
    for (const [k, v] of Object.entries(h ?? {})) {
      if (!/^[A-Za-z0-9-]{1,64}$/.test(k)) p.add(pathKey('analysis.prometheus.headers', k), 'invalid header name');
      else if (typeof v !== 'string') p.add(pathKey('analysis.prometheus.headers', k), 'expected a one-line string');
      else {
        const problem = headerValueProblem(k, v);
        if (problem !== undefined) p.add(pathKey('analysis.prometheus.headers', k), problem);
        else headers[k] = v;
      }
    }
  }
  if (timeout === undefined) return undefined;
  return {
    interval,
    initialDelay,
    prometheus: address === undefined ? { timeout, headers } : { address, timeout, headers },
  };
}

/** A PromQL template: non-empty, only known placeholders, and `{{variant}}` where a query is per arm. */
function readTemplate(v: unknown, path: string, p: ProblemCollector): string | undefined {
  const t = checkString(v, path, p, { nonEmpty: true, max: 4000 });
  if (t === undefined) return undefined;
  const before = p.total;
  for (const [, name] of t.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name!))
      p.add(path, `unknown placeholder {{${name}}}: use ${TEMPLATE_PLACEHOLDERS.map((x) => `{{${x}}}`).join(', ')}`);
  }
  if (!/\{\{\s*variant\s*\}\}/.test(t)) p.add(path, 'must use {{variant}}: it is queried once per arm');
  return p.total === before ? t : undefined;
}

function readTraffic(o: JsonRecord, p: ProblemCollector): Policy['traffic'] | undefined {
  if (!requirePresent(o, 'traffic', '', p)) return undefined;
  const t = expectRecord(own(o, 'traffic'), 'traffic', p);
  if (t === undefined) return undefined;
  checkUnknownFields(t, 'traffic', new Set(['query']), p);
  const query = requirePresent(t, 'query', 'traffic', p)
    ? readTemplate(own(t, 'query'), 'traffic.query', p)
    : undefined;
  return query === undefined ? undefined : { query };
}

function readSrm(o: JsonRecord, p: ProblemCollector): Policy['srm'] | undefined {
  const raw = own(o, 'srm');
  if (raw === undefined) return { threshold: 0.001, action: 'pause' };
  const s = expectRecord(raw, 'srm', p);
  if (s === undefined) return undefined;
  checkUnknownFields(s, 'srm', new Set(['threshold', 'action']), p);
  const threshold = own(s, 'threshold') ?? 0.001;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 0.1)) {
    p.add('srm.threshold', `expected a p-value above 0 and at most 0.1, got ${String(threshold)}`);
    return undefined;
  }
  const action = readAction(s, 'action', 'srm', p, 'pause');
  return action === undefined ? undefined : { threshold, action };
}

function readMetrics(o: JsonRecord, p: ProblemCollector): PolicyMetric[] | undefined {
  if (!requirePresent(o, 'metrics', '', p)) return undefined;
  const list = checkArray(own(o, 'metrics'), 'metrics', p, 20, 1);
  if (list === undefined) return undefined;
  const names = new Map<string, number>();
  const metrics: PolicyMetric[] = [];
  list.forEach((raw, i) => {
    const path = pathIndex('metrics', i);
    const m = expectRecord(raw, path, p);
    if (m === undefined) return;
    const kind = own(m, 'kind');
    if (kind !== 'threshold' && kind !== 'comparison') {
      p.add(
        pathKey(path, 'kind'),
        `expected "threshold" or "comparison", got ${typeof kind === 'string' ? quote(kind) : describeType(kind)}`,
      );
      return;
    }
    const common = [
      'name',
      'kind',
      'dryRun',
      'noData',
      'failureLimit',
      'consecutiveFailureLimit',
      'consecutiveErrorLimit',
    ];
    const specific =
      kind === 'threshold' ? ['query', 'max', 'min'] : ['errorsQuery', 'totalQuery', 'alpha', 'maxIncrease'];
    checkUnknownFields(m, path, new Set([...common, ...specific]), p);
    const name = requirePresent(m, 'name', path, p)
      ? checkKey(own(m, 'name'), pathKey(path, 'name'), p, 'metric name')
      : undefined;
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined)
        p.add(pathKey(path, 'name'), `duplicate metric name ${quote(name)} (already metrics[${first}])`);
      else names.set(name, i);
    }
    const dryRun = own(m, 'dryRun') === undefined ? false : checkBoolean(own(m, 'dryRun'), pathKey(path, 'dryRun'), p);
    const noDataRaw = own(m, 'noData') ?? 'inconclusive';
    const noData: PolicyMetric['noData'] | undefined =
      noDataRaw === 'inconclusive' || noDataRaw === 'fail' ? noDataRaw : undefined;
    if (noData === undefined)
      p.add(
        pathKey(path, 'noData'),
        `expected "inconclusive" or "fail" (no data is never a silent pass), got ${String(noDataRaw)}`,
      );
    const int = (field: string, fallback: number, min: number) =>
      own(m, field) === undefined ? fallback : checkInteger(own(m, field), pathKey(path, field), p, min, 1000);
    const failureLimit = int('failureLimit', 0, 0);
    const consecutiveFailureLimit = int('consecutiveFailureLimit', 0, 0);
    const consecutiveErrorLimit = int('consecutiveErrorLimit', 2, 0);
    const complete =
      name !== undefined &&
      dryRun !== undefined &&
      noData !== undefined &&
      failureLimit !== undefined &&
      consecutiveFailureLimit !== undefined &&
      consecutiveErrorLimit !== undefined;
    // Kind-specific fields are checked even when a common one is bad: report every problem.
    const base = complete
      ? { name, dryRun, noData, failureLimit, consecutiveFailureLimit, consecutiveErrorLimit }
      : undefined;
    if (kind === 'threshold') {
      const query = requirePresent(m, 'query', path, p)
        ? readTemplate(own(m, 'query'), pathKey(path, 'query'), p)
        : undefined;
      const bound = (field: 'min' | 'max') => {
        const v = own(m, field);
        if (v === undefined) return undefined;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          p.add(pathKey(path, field), `expected a number, got ${describeType(v)}`);
          return null;
        }
        return v;
      };
      const min = bound('min');
      const max = bound('max');
      if (min === undefined && max === undefined) p.add(path, 'a threshold metric needs "max", "min" or both');
      if (typeof min === 'number' && typeof max === 'number' && min > max)
        p.add(pathKey(path, 'min'), `must not exceed max (${max})`);
      if (base === undefined || query === undefined || min === null || max === null) return;
      const metric: ThresholdMetric = { ...base, kind, query };
      if (min !== undefined) metric.min = min;
      if (max !== undefined) metric.max = max;
      metrics.push(metric);
    } else {
      const errorsQuery = requirePresent(m, 'errorsQuery', path, p)
        ? readTemplate(own(m, 'errorsQuery'), pathKey(path, 'errorsQuery'), p)
        : undefined;
      const totalQuery = requirePresent(m, 'totalQuery', path, p)
        ? readTemplate(own(m, 'totalQuery'), pathKey(path, 'totalQuery'), p)
        : undefined;
      const alpha = own(m, 'alpha') ?? 0.05;
      if (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 0.5))
        p.add(pathKey(path, 'alpha'), `expected a probability above 0 and at most 0.5, got ${String(alpha)}`);
      const maxIncrease = own(m, 'maxIncrease') ?? 0;
      if (typeof maxIncrease !== 'number' || !(maxIncrease >= 0 && maxIncrease < 1))
        p.add(pathKey(path, 'maxIncrease'), `expected a proportion from 0 to below 1, got ${String(maxIncrease)}`);
      if (
        base === undefined ||
        errorsQuery === undefined ||
        totalQuery === undefined ||
        typeof alpha !== 'number' ||
        typeof maxIncrease !== 'number'
      )
        return;
      metrics.push({ ...base, kind: 'comparison', errorsQuery, totalQuery, alpha, maxIncrease });
    }
  });
  return metrics.length === list.length ? metrics : undefined;
}
