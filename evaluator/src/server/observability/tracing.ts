/**
 * OpenTelemetry through @opentelemetry/api only: the application that embeds the evaluator
 * registers an SDK (or not). With none registered, the hot path does no tracing work at all:
 * whether a real tracer exists is re-checked at most once a second.
 */
import { ProxyTracerProvider, trace, type Tracer } from '@opentelemetry/api';

const TRACER_NAME = '@flagship/evaluator';

/** The evaluator's tracer (a no-op until an SDK is registered). */
export const tracer: Tracer = trace.getTracer(TRACER_NAME);

let active = false;
let checkedAt = -Infinity;

/** True when a tracer provider is registered; `now` is performance.now() (ms). */
export function tracingActive(now: number): boolean {
  if (now - checkedAt >= 1000) {
    checkedAt = now;
    const provider = trace.getTracerProvider();
    active = !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME) !== undefined;
  }
  return active;
}

/** Forces the next {@link tracingActive} call to re-check (tests that register a provider). */
export function recheckTracing(): void {
  checkedAt = -Infinity;
}
