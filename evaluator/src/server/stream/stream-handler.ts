/**
 * GET|HEAD /v1/stream and /ofrep/v1/stream: hands an authorized, admitted request over to the SSE
 * hub (sse-hub.ts) as a stream of its key's environment, within the stream caps (429 with
 * Retry-After 30 s for the key's own cap, 5 s for the process's).
 *
 * /v1/stream is for server SDKs (a client key gets 403). /ofrep/v1/stream also takes a client
 * key, and the stream token of the URL a bulk answer advertised (auth/stream-token.ts), for
 * browsers' EventSource, which cannot send a key header; it carries the CORS headers the key's
 * environment allows (http/cors.ts).
 */
import { hashApiKey } from '../../propagation/index.ts';
import { authorizeGet } from '../auth/authorize-get.ts';
import { authorizeStreamToken } from '../auth/authorize-stream-token.ts';
import { STREAM_TOKEN_PARAM } from '../auth/stream-token.ts';
import { allowOriginFor, appendCorsHeaders } from '../http/cors.ts';
import type { SdkKeyAuth } from '../auth/sdk-key-auth.ts';
import type { EvaluatorRequest } from '../http/evaluator-request.ts';
import type { Replies } from '../http/reply.ts';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';
import { STREAM_HEADERS, type SseHub, type StreamFormat } from './sse-hub.ts';

/** What the handler needs from the server. */
export interface StreamHandlerOptions {
  environments: { get(environment: string): ServedEnvironment | undefined; isReady(): boolean };
  auth: SdkKeyAuth;
  replies: Replies;
  sse: SseHub;
  /** The caps, for the 429 messages (the hub enforces them). */
  maxStreams: number;
  maxStreamsPerKey: number;
  /** Epoch ms, for stream tokens' expiry (tests move it). */
  now: () => number;
}

/** Opens streams for admitted stream requests; `query` is the URL's query string without `?`. */
export function createStreamHandler(
  o: StreamHandlerOptions,
): (req: EvaluatorRequest, format: StreamFormat, query: string) => void {
  return (req, format, query) => {
    const token = format === 'ofrep' && query.length > 0 ? new URLSearchParams(query).get(STREAM_TOKEN_PARAM) : null;
    const env =
      token !== null
        ? authorizeStreamToken(req, token, o.environments, o.replies, Math.floor(o.now() / 1000))
        : authorizeGet(req, query, o.auth, o.replies, format === 'ofrep' ? 'allow' : 'refuse');
    if (env === undefined) return;
    const current = o.environments.get(env);
    if (format === 'ofrep') allowOriginFor(req, current?.allowedOrigins);
    // HEAD learns what a stream would answer and opens none (it would never end otherwise).
    if (req.method === 'HEAD') {
      o.replies.fixed(req, 200, Object.entries(STREAM_HEADERS).flat(), undefined);
      return;
    }
    const keyHash = req.keyHash !== '' ? req.keyHash : hashApiKey(req.sdkKey);
    const refusal = o.sse.admit(keyHash);
    if (refusal !== undefined) {
      const perKey = refusal === 'sse_per_key';
      const details = perKey
        ? `this SDK key has ${o.maxStreamsPerKey} open streams on this evaluator, the most it may`
        : `this evaluator has ${o.maxStreams} open streams, the most it serves`;
      o.replies.refuseStream(req, refusal, details, perKey ? 30 : 5);
      return;
    }
    // A stream is not "in flight" work: it counts against the stream caps, not the slots.
    o.replies.handOver(req);
    req.socket.setTimeout(0);
    const inline =
      format === 'snapshot' && query.length > 0 && new URLSearchParams(query).get('include') === 'snapshot';
    o.sse.add(env, keyHash, req.response!, format, current, appendCorsHeaders(req, []), inline);
  };
}
