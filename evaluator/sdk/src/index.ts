/**
 * `@flagship/sdk`: the in-process Node SDK (docs/sdk.md). Evaluates with the engine core
 * (`@flagship/evaluator`) from a snapshot kept current by the evaluators. Optional integrations
 * sit behind their own subpaths so a service loads only what it uses:
 * `@flagship/sdk/openfeature` (an OpenFeature server provider), `@flagship/sdk/metrics`
 * (prom-client), `@flagship/sdk/opentelemetry` (span events).
 */
export {
  FlagshipClient,
  type ClientEvents,
  type ClientStatus,
  type FlagDetails,
  type FlagshipClientOptions,
  type SdkErrorCode,
  type SdkReason,
} from './flagship-client.ts';
export type { BackoffOptions } from './internal/backoff.ts';
export type { CountTotal } from './internal/evaluation-counts.ts';
export type { SyncCounts } from './internal/snapshot-sync.ts';
