/**
 * `@flagship/sdk/opentelemetry`: an OpenFeature hook that records each evaluation as a
 * `feature_flag.evaluation` event on the active span, with the attributes of the OpenTelemetry
 * feature-flag semantic conventions (as OpenFeature's appendix D maps them): `feature_flag.key`,
 * `feature_flag.provider.name`, `feature_flag.result.variant`, `feature_flag.result.reason`
 * (lower snake case), `feature_flag.context.id`, `feature_flag.version`, and on errors
 * `error.type` / `error.message`. The value is left out by default: it may be large or private.
 */
import { trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { EvaluationDetails, FlagValue, Hook, HookContext } from '@openfeature/server-sdk';

export interface SpanEventHookOptions {
  /** Also record `feature_flag.result.value` (JSON for objects). Default false. */
  includeValue?: boolean;
}

/** A hook for `OpenFeature.addHooks(...)` or a client's `addHooks(...)`. No active span: nothing recorded. */
export function spanEventHook(options: SpanEventHookOptions = {}): Hook {
  return {
    finally(hookContext: Readonly<HookContext>, details: EvaluationDetails<FlagValue>) {
      const span = trace.getActiveSpan();
      if (span === undefined || !span.isRecording()) return;
      const attributes: Attributes = {
        'feature_flag.key': hookContext.flagKey,
        'feature_flag.provider.name': hookContext.providerMetadata.name,
        'feature_flag.result.reason': (details.reason ?? 'unknown').toLowerCase(),
      };
      if (details.variant !== undefined) attributes['feature_flag.result.variant'] = details.variant;
      const targetingKey = hookContext.context.targetingKey;
      if (typeof targetingKey === 'string') attributes['feature_flag.context.id'] = targetingKey;
      const version = details.flagMetadata?.snapshotVersion;
      if (typeof version === 'number') attributes['feature_flag.version'] = String(version);
      if (details.errorCode !== undefined) {
        attributes['error.type'] = details.errorCode.toLowerCase();
        if (details.errorMessage !== undefined) attributes['error.message'] = details.errorMessage;
      }
      if (options.includeValue === true) {
        attributes['feature_flag.result.value'] =
          typeof details.value === 'object' ? JSON.stringify(details.value) : details.value;
      }
      span.addEvent('feature_flag.evaluation', attributes);
    },
  };
}
