/**
 * The evaluator's spans: one SERVER span per OFREP request (when tracing is on, tracing.ts) and
 * one per snapshot swap. The reply path ends request spans; nothing else touches them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { context as otelContext, propagation, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';
import { ROUTE_OFREP_SINGLE } from './evaluator-metrics.ts';
import { tracer, tracingActive } from './tracing.ts';

/** What a request span reads from and writes to its request. */
export interface TracedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly route: number;
  /** performance.now() when the request arrived. */
  readonly started: number;
  readonly environment: string;
  readonly flagKey: string;
  span: Span | undefined;
}

/** Starts the span of an authenticated OFREP request, under the caller's trace context if it sent one. */
export function startOfrepSpan(req: TracedRequest): void {
  const single = req.route === ROUTE_OFREP_SINGLE;
  const parent = propagation.extract(otelContext.active(), req.headers);
  req.span = tracer.startSpan(
    single ? 'ofrep evaluate flag' : 'ofrep evaluate flags',
    {
      kind: SpanKind.SERVER,
      startTime: performance.timeOrigin + req.started,
      attributes: {
        'http.request.method': 'POST',
        'http.route': single ? '/ofrep/v1/evaluate/flags/{key}' : '/ofrep/v1/evaluate/flags',
        'feature_flag.set.id': req.environment,
        ...(single ? { 'feature_flag.key': req.flagKey } : {}),
      },
    },
    parent,
  );
}

/** Ends `req`'s span (it must have one) with the answered status and the served version. */
export function endRequestSpan(req: TracedRequest, status: number, state: ServedEnvironment | undefined): void {
  const span = req.span!;
  req.span = undefined;
  span.setAttribute('http.response.status_code', status);
  if (state !== undefined) span.setAttribute('feature_flag.version', String(state.version));
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** A span per swap, when tracing is on: swaps are rare and worth seeing in a trace backend. */
export function traceSwap(state: ServedEnvironment, previous: ServedEnvironment | undefined): void {
  if (!tracingActive(performance.now())) return;
  const span = tracer.startSpan('snapshot swap', {
    attributes: {
      'feature_flag.set.id': state.environment,
      'evaluator.snapshot.version': state.version,
      'evaluator.snapshot.previous_version': previous?.version ?? -1,
      'evaluator.snapshot.source': state.source,
      'evaluator.snapshot.killed_flags': state.killed.length,
    },
  });
  span.end();
}
