/**
 * `@flagship/sdk/metrics`: the SDK's evaluation counts in the service's own prom-client registry,
 * so impact dashboards see in-process evaluations beside the evaluators' (docs/sdk.md, "Metrics").
 *
 * `flagship_sdk_evaluations_total{environment, flag, variant, reason}`: per flag and variant only
 * for the flags the snapshot marks `trackExposures`; every other evaluation with `flag` and
 * `variant` empty (absent in PromQL), by reason. The same rule as the evaluator's
 * `evaluator_exposures_total` (docs/operations.md, "Exposure counts"), so a service with 10,000
 * flags exports tens of series, not tens of thousands.
 */
import { Counter, type Registry } from 'prom-client';
import type { FlagshipClient } from './flagship-client.ts';

/** Registers the counter for `client` in `registry`; each scrape reads the client's counts. */
export function registerMetrics(
  client: FlagshipClient,
  registry: Registry,
): Counter<'environment' | 'flag' | 'variant' | 'reason'> {
  const counter: Counter<'environment' | 'flag' | 'variant' | 'reason'> = new Counter({
    name: 'flagship_sdk_evaluations_total',
    help: 'Flag evaluations answered in-process by the Flagship SDK: per flag and variant for the flags the snapshot marks trackExposures, the rest by reason only (ERROR:<code> for errors).',
    labelNames: ['environment', 'flag', 'variant', 'reason'],
    registers: [registry],
    collect() {
      // The client keeps running totals, so the counter is rewritten from them on each scrape.
      counter.reset();
      for (const t of client.evaluationCounts()) {
        counter.inc({ environment: t.environment, flag: t.flag, variant: t.variant, reason: t.reason }, t.value);
      }
    },
  });
  return counter;
}
