/**
 * The `eventStreams` fragment of bulk answers: the OFREP SSE stream (GET /ofrep/v1/stream) at the
 * scheme and host the client used, so a browser behind a proxy or on another hostname connects
 * where it can reach. Behind a proxy that sets `X-Forwarded-Proto`/`X-Forwarded-Host`, those are
 * believed only when the operator says so (EVALUATOR_TRUST_PROXY=1): otherwise any client could
 * make the evaluator advertise a host of its choosing.
 *
 * When the environment has a stream secret the URL carries a stream token (auth/stream-token.ts)
 * for the key that asked, since EventSource cannot send an Authorization header. Tokens are
 * issued per time bucket of half their lifetime, so a key's fragment is built once per bucket
 * and host (the hot path neither hashes nor signs per request) and is good for at least half
 * the lifetime when handed out.
 */
import { hashApiKey } from '../../propagation/index.ts';
import { signStreamToken, STREAM_TOKEN_PARAM } from '../auth/stream-token.ts';
import type { EvaluatorRequest } from '../http/evaluator-request.ts';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';

const EMPTY = Buffer.alloc(0);
/** What a host header may hold to be advertised back (no scheme, path, quotes or spaces). */
const HOST = /^[A-Za-z0-9.:[\]-]{1,255}$/;
/** Most keys whose fragment is cached at once; past it the cache starts over. */
const MAX_CACHED = 10_000;

export interface EventStreamAdvertOptions {
  /** `host:port` advertised when a request has no Host header. */
  defaultHost: string;
  /** Believe X-Forwarded-Proto and X-Forwarded-Host (EVALUATOR_TRUST_PROXY=1). */
  trustProxy: boolean;
  /** Lifetime of a stream token (s); one is handed out with at least half of it left. */
  tokenTtlSeconds: number;
  /** Epoch ms (tests move it). */
  now?: () => number;
}

interface Entry {
  origin: string;
  secret: string | undefined;
  bucket: number;
  json: Buffer;
}

/** Builds (and caches per key) the eventStreams fragment of bulk answers. */
export class EventStreamAdvert {
  private cache = new Map<string, Entry>();
  private readonly bucketSeconds: number;
  private readonly now: () => number;

  constructor(private readonly o: EventStreamAdvertOptions) {
    this.bucketSeconds = Math.max(1, Math.floor(o.tokenTtlSeconds / 2));
    this.now = o.now ?? Date.now;
  }

  /** `,"eventStreams":[...]` for this request's key and host, or empty when the host cannot be advertised. */
  fragment(req: EvaluatorRequest, state: ServedEnvironment): Buffer {
    const origin = this.originOf(req);
    if (origin === undefined) return EMPTY;
    const secret = state.clients.streamSecret;
    const bucket = Math.floor(this.now() / 1000 / this.bucketSeconds);
    const cached = this.cache.get(req.sdkKey);
    if (cached !== undefined && cached.origin === origin && cached.secret === secret && cached.bucket === bucket)
      return cached.json;
    let url = `${origin}/ofrep/v1/stream`;
    if (secret !== undefined) {
      const token = signStreamToken(secret, {
        environment: state.environment,
        expiresAt: (bucket + 2) * this.bucketSeconds,
        keyHash: hashApiKey(req.sdkKey),
      });
      url += `?${STREAM_TOKEN_PARAM}=${token}`;
    }
    const json = Buffer.from(`,"eventStreams":[{"type":"sse","url":${JSON.stringify(url)},"inactivityDelaySec":120}]`);
    if (this.cache.size >= MAX_CACHED) this.cache = new Map();
    this.cache.set(req.sdkKey, { origin, secret, bucket, json });
    return json;
  }

  /** `scheme://host` the client used, or undefined when its host header is unusable. */
  private originOf(req: EvaluatorRequest): string | undefined {
    let scheme = 'http';
    let host = req.headers.host ?? this.o.defaultHost;
    if (this.o.trustProxy) {
      const proto = firstValue(req.headers['x-forwarded-proto']);
      if (proto === 'https' || proto === 'http') scheme = proto;
      const forwarded = firstValue(req.headers['x-forwarded-host']);
      if (forwarded !== undefined && HOST.test(forwarded)) host = forwarded;
    }
    return HOST.test(host) ? `${scheme}://${host}` : undefined;
  }
}

/** The first of a comma-separated header's values (the proxy nearest the client), trimmed. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  return (comma < 0 ? value : value.slice(0, comma)).trim().toLowerCase() || undefined;
}
