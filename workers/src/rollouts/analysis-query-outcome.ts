/**
 * How an analysis query ended, in the bounded reasons of `flagship_analysis_query_errors_total`
 * (docs/slo.md). The Prometheus client (controller's queryPrometheus) reports every failure as a
 * `Measurement` of kind `error` with a message; the message's shape tells the cause apart:
 * - `timed out after N ms`: the policy's timeout passed (Prometheus slow or overloaded);
 * - `HTTP <status>: not JSON` or `expected an instant vector ...`: something answered, not a
 *   Prometheus query API (a proxy page, a wrong address);
 * - `HTTP <status>: <errorType>: ...`: Prometheus refused the query (bad PromQL, 4xx/5xx);
 * - anything else is a connection-level failure (refused, DNS, reset, an unset header secret or
 *   an invalid address: the query never reached a Prometheus).
 * `nodata` is a normal answer, so `ok`.
 */
import type { QueryEvidence } from '@flagship/controller';
import type { AnalysisQueryOutcome } from '../metrics/workers-metrics.ts';

/** What one query's answer counts as. */
export function analysisQueryOutcome(m: QueryEvidence['measurement']): AnalysisQueryOutcome {
  if (m.kind !== 'error') return 'ok';
  const text = m.message;
  if (/^timed out after /.test(text)) return 'timeout';
  if (/^HTTP \d+: not JSON$/.test(text) || /^expected an instant vector or scalar/.test(text)) return 'bad_response';
  if (/^HTTP \d+: /.test(text)) return 'query_error';
  return 'unreachable';
}
