/**
 * The evaluator server: OFREP single and bulk evaluation, the snapshot endpoint, SSE streams,
 * health and bare readiness on the public port, on plain node:http (DESIGN.md §4: the hot path's
 * HTTP layer is chosen by measurement; express costs ~5x here); metrics and readiness detail on
 * the admin listener (admin-listener.ts, 127.0.0.1 only).
 *
 * The composition root of the evaluator: config -> snapshot store -> metrics, SSE hub,
 * admission -> HTTP. Admission rules: docs/operations.md, "Evaluator admission".
 */
import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { context as otelContext, propagation, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { FLAG_TYPES, type FlagType } from '../model/flag.ts';
import type { EvaluationContext } from '../model/result.ts';
import { ADMIN_HOST, createAdminListener } from './admin-listener.ts';
import { Admission } from './admission.ts';
import { resolveEvaluatorConfig, type EvaluatorConfig } from './config.ts';
import { jsonLogger, type Logger } from './logger.ts';
import { EvaluatorMetrics } from './observability/evaluator-metrics.ts';
import { tracer, tracingActive } from './observability/tracing.ts';
import { errorReply, evaluateBulk, evaluateSingle, type BulkReply, type OfrepReply } from './ofrep/ofrep-responses.ts';
import { BodyProblem, parseRequestContext } from './ofrep/request-context.ts';
import type { EnvironmentState } from './snapshots/environment-state.ts';
import { hashSdkKey, RedisSnapshotStore } from './snapshots/redis-snapshot-store.ts';
import { SseHub, STREAM_HEADERS, type StreamRefusal } from './stream/sse-hub.ts';

/** A running evaluator server. */
export interface EvaluatorServer {
  readonly config: EvaluatorConfig;
  readonly store: RedisSnapshotStore;
  readonly metrics: EvaluatorMetrics;
  /** The in-flight and event-loop-lag admission of OFREP, snapshot and stream requests. */
  readonly admission: Admission;
  readonly http: Server;
  /** The admin listener (metrics, readiness detail) on 127.0.0.1. */
  readonly admin: Server;
  /** Base URL, e.g. http://127.0.0.1:4100 (known after start). */
  readonly url: string;
  readonly port: number;
  /** Base URL of the admin listener, e.g. http://127.0.0.1:5100 (known after start). */
  readonly adminUrl: string;
  readonly adminPort: number;
  /** Loads snapshots (disk, then Redis within the connect timeout) and listens. */
  start(): Promise<void>;
  /** Stops listening, ends streams, disconnects Redis, flushes disk writes. */
  close(): Promise<void>;
}

/** Extra wiring for tests and embedders. */
export interface EvaluatorServerOptions {
  logger?: Logger;
}

const OFREP_BULK = '/ofrep/v1/evaluate/flags';
const OFREP_SINGLE = '/ofrep/v1/evaluate/flags/';
const EMPTY = Buffer.alloc(0);
const JSON_TYPE = 'application/json';

// Route indexes into ROUTES (observability/evaluator-metrics.ts); 6 (metrics) is the admin listener's.
const R_SINGLE = 0, R_BULK = 1, R_SNAPSHOT = 2, R_STREAM = 3, R_HEALTH = 4, R_READY = 5, R_OTHER = 7;

/** A request with the per-request state the body handlers need, preallocated (no closures per request). */
class EvaluatorRequest extends IncomingMessage {
  response: ServerResponse | undefined = undefined;
  started = 0;
  route = R_OTHER;
  /** Holds an in-flight slot (taken when the body has ended, or at once for body-less GETs). */
  admitted = false;
  /** The raw SDK key that authenticated it ('' before). */
  sdkKey = '';
  environment = '';
  flagKey = '';
  flagType: FlagType | undefined = undefined;
  first: Buffer | undefined = undefined;
  chunks: Buffer[] | undefined = undefined;
  size = 0;
  done = false;
  span: Span | undefined = undefined;
}

/** Creates (does not start) an evaluator server. `config` is merged over the defaults and validated. */
export function createEvaluatorServer(config: Partial<EvaluatorConfig> = {}, options: EvaluatorServerOptions = {}): EvaluatorServer {
  const cfg = resolveEvaluatorConfig(config);
  const logger = options.logger ?? jsonLogger();
  const store = new RedisSnapshotStore({ ...cfg, logger });
  const sse = new SseHub({ heartbeatMs: cfg.sseHeartbeatMs, maxStreams: cfg.sseMaxStreams, maxPerKey: cfg.sseMaxStreamsPerKey });
  const metrics = new EvaluatorMetrics({ takeViews: () => store.takeViews(), all: () => store.all(), sseClients: () => sse.size(), sseRevoked: () => sse.revoked() });
  const admission = new Admission(cfg.maxInFlight, cfg.maxEventLoopLagMs);
  /** Raw SDK key -> environment; cleared on every swap so a revoked key stops working at once. */
  let keyCache = new Map<string, string>();
  store.onSwap((state) => {
    keyCache = new Map();
    metrics.swapped(state);
    sse.publish(state); // also ends the streams of keys this state no longer lists
    logger.info('snapshot swapped in', { environment: state.environment, version: state.version, source: state.source, killed: state.killed });
  });

  const reply: OfrepReply = { status: 0, body: '', bytes: 0, etag: undefined };
  const bulkReply: BulkReply = { body: EMPTY, etag: '' };
  let eventStreamsHost = '';
  let eventStreamsJson = EMPTY;

  // requestTimeout is the body deadline: node:http measures it from a request's first byte (for
  // a new connection, from its accept) to the end of its body, and checks it every
  // connectionsCheckingInterval; an expired request comes to 'clientError' below as
  // ERR_HTTP_REQUEST_TIMEOUT. headersTimeout may not exceed it.
  const checkEvery = Math.max(50, Math.min(1000, Math.round(cfg.bodyTimeoutMs / 4)));
  const http = createServer({
    IncomingMessage: EvaluatorRequest, requestTimeout: cfg.bodyTimeoutMs, headersTimeout: cfg.bodyTimeoutMs, connectionsCheckingInterval: checkEvery,
  }, onRequest as never);
  http.keepAliveTimeout = 65_000;
  const timeoutBody = JSON.stringify({ errorCode: 'GENERAL', errorDetails: `request not received within ${cfg.bodyTimeoutMs} ms` });
  const timeoutResponse = `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(timeoutBody)}\r\n\r\n${timeoutBody}`;
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A response already begun on this socket must not be followed by another one.
    const answering = (socket as { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.requestTimedOut();
    if (!socket.writable || answering || err.code === 'ECONNRESET') socket.destroy();
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') { socket.end(timeoutResponse); (socket as Socket).destroySoon(); }
    else socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  const admin = createAdminListener({ store, metrics, requestTimeoutMs: cfg.bodyTimeoutMs, onError: (e, url) => logger.error('admin request failed', { error: (e as Error)?.stack ?? String(e), url }) });

  function onRequest(req: EvaluatorRequest, res: ServerResponse): void {
    const started = performance.now();
    try {
      req.response = res;
      req.started = started;
      const url = req.url ?? '/';
      if (req.method === 'POST' && url.startsWith(OFREP_BULK)) {
        if (url.length === OFREP_BULK.length || url.charCodeAt(OFREP_BULK.length) === 63 /* ? */) req.route = R_BULK;
        else if (url.charCodeAt(OFREP_BULK.length) === 47 /* / */) { req.route = R_SINGLE; parseFlagPath(req, url); }
        else { finishPlain(req, 404, 'not found'); return; }
        beginOfrep(req, res, started);
        return;
      }
      routeOther(req, res, url);
    } catch (e) {
      internalError(req, res, e);
    }
  }

  function parseFlagPath(req: EvaluatorRequest, url: string): void {
    const q = url.indexOf('?', OFREP_SINGLE.length);
    let key = q < 0 ? url.slice(OFREP_SINGLE.length) : url.slice(OFREP_SINGLE.length, q);
    if (key.includes('%')) { try { key = decodeURIComponent(key); } catch { /* served as not found under its raw name */ } }
    req.flagKey = key;
    req.flagType = undefined;
    if (q >= 0) {
      // Extension: ?type=<boolean|string|number|object> asks the engine for a type check (TYPE_MISMATCH).
      const type = new URLSearchParams(url.slice(q + 1)).get('type');
      if (type !== null && (FLAG_TYPES as readonly string[]).includes(type)) req.flagType = type as FlagType;
    }
  }

  function beginOfrep(req: EvaluatorRequest, res: ServerResponse, started: number): void {
    const env = authenticate(req);
    if (typeof env === 'number') { authFailure(req, env); return; }
    req.environment = env;
    if (tracingActive(started)) startSpan(req);
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > cfg.maxBodyBytes) { tooLarge(req); return; }
    // No slot yet: the request is admitted (or shed) when its body has ended, in onEnd.
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onRequestError);
    void res;
  }

  /** Takes an in-flight slot for `req`, or answers 429 and returns false. */
  function admit(req: EvaluatorRequest): boolean {
    if (admission.tryAcquire()) { req.admitted = true; return true; }
    shed(req);
    return false;
  }

  /** Marks `req` answered and gives back its slot, if it held one. */
  function release(req: EvaluatorRequest): void {
    req.done = true;
    if (req.admitted) { req.admitted = false; admission.release(); }
  }

  function onData(this: EvaluatorRequest, chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > cfg.maxBodyBytes) { tooLarge(this); return; }
    if (this.first === undefined) this.first = chunk;
    else if (this.chunks === undefined) this.chunks = [this.first, chunk];
    else this.chunks.push(chunk);
  }

  function onEnd(this: EvaluatorRequest): void {
    if (this.done) return;
    try {
      if (!admit(this)) return;
      const body = this.chunks !== undefined ? Buffer.concat(this.chunks) : this.first ?? EMPTY;
      this.first = undefined;
      this.chunks = undefined;
      answerOfrep(this, body);
    } catch (e) {
      internalError(this, this.response!, e);
    }
  }

  function onRequestError(this: EvaluatorRequest): void {
    if (this.done) return;
    release(this);
    if (this.span !== undefined) endSpan(this, 499, undefined);
  }

  function answerOfrep(req: EvaluatorRequest, body: Buffer): void {
    const state = store.get(req.environment);
    const single = req.route === R_SINGLE;
    const key = single ? req.flagKey : undefined;
    if (state === undefined) {
      // The key's environment was dropped between auth and now: not the client's fault, retryable.
      errorReply(key, 'GENERAL', 'environment has no snapshot loaded', reply, 503);
      finishReply(req, reply, undefined);
      return;
    }
    const context = parseRequestContext(body, cfg.maxContextDepth);
    if (context instanceof BodyProblem) {
      errorReply(key, context.errorCode, context.details, reply);
      finishReply(req, reply, undefined);
      return;
    }
    if (single) {
      evaluateSingle(state.view, req.flagKey, context as EvaluationContext, req.flagType, reply);
      finishReply(req, reply, undefined);
      return;
    }
    evaluateBulk(state.view, context as EvaluationContext, eventStreamsFor(req), bulkReply);
    const etag = bulkReply.etag;
    const match = req.headers['if-none-match'];
    if (match !== undefined && etagMatches(match, etag)) {
      finish(req, 304, ['ETag', etag, 'Cache-Control', 'no-cache'], undefined);
      return;
    }
    const res = req.response!;
    if (req.done) return;
    release(req);
    const out = bulkReply.body;
    bulkReply.body = EMPTY;
    res.writeHead(200, ['Content-Type', JSON_TYPE, 'Content-Length', String(out.length), 'ETag', etag, 'Cache-Control', 'no-cache']);
    res.end(out);
    metrics.observe(R_BULK, 200, (performance.now() - req.started) / 1000);
    if (req.span !== undefined) endSpan(req, 200, state);
  }

  /** The eventStreams fragment of bulk answers: the OFREP SSE stream on the host the client used. */
  function eventStreamsFor(req: EvaluatorRequest): Buffer {
    const host = req.headers.host ?? `${cfg.host}:${cfg.port}`;
    if (host !== eventStreamsHost) {
      eventStreamsHost = host;
      eventStreamsJson = /^[A-Za-z0-9.:[\]-]+$/.test(host)
        ? Buffer.from(`,"eventStreams":[{"type":"sse","url":${JSON.stringify(`http://${host}/ofrep/v1/stream`)},"inactivityDelaySec":120}]`)
        : EMPTY;
    }
    return eventStreamsJson;
  }

  function finishReply(req: EvaluatorRequest, r: OfrepReply, state: EnvironmentState | undefined): void {
    const res = req.response!;
    if (req.done) return;
    release(req);
    const headers = r.etag === undefined
      ? ['Content-Type', JSON_TYPE, 'Content-Length', String(r.bytes)]
      : ['Content-Type', JSON_TYPE, 'Content-Length', String(r.bytes), 'ETag', r.etag, 'Cache-Control', 'no-cache'];
    res.writeHead(r.status, headers);
    res.end(r.body);
    metrics.observe(req.route, r.status, (performance.now() - req.started) / 1000);
    if (req.span !== undefined) endSpan(req, r.status, state);
  }

  /**
   * Ends a request with a fixed status, headers and optional body (non-hot paths). Answered
   * before its body has arrived (401, 413), the connection closes after the answer: the
   * rest of the body would otherwise be read, or trickled until the deadline, for nothing.
   */
  function finish(req: EvaluatorRequest, status: number, headers: string[], body: string | undefined): void {
    const res = req.response!;
    if (req.done) return;
    release(req);
    if (body !== undefined) headers.push('Content-Length', String(Buffer.byteLength(body)));
    // Without keep-alive node:http closes the socket once the answer is written.
    if (bodyPending(req)) res.shouldKeepAlive = false;
    res.writeHead(status, headers);
    res.end(body);
    metrics.observe(req.route, status, (performance.now() - req.started) / 1000);
    if (req.span !== undefined) endSpan(req, status, undefined);
  }

  function finishJson(req: EvaluatorRequest, status: number, value: unknown, extra: string[] = []): void {
    finish(req, status, ['Content-Type', JSON_TYPE, ...extra], JSON.stringify(value));
  }

  function finishPlain(req: EvaluatorRequest, status: number, text: string): void {
    finishJson(req, status, { error: text });
  }

  /** 413 with the OFREP shape; stops reading: the connection is closed after the answer. */
  function tooLarge(req: EvaluatorRequest): void {
    const res = req.response!;
    errorReply(req.route === R_SINGLE ? req.flagKey : undefined, 'PARSE_ERROR', `request body is larger than ${cfg.maxBodyBytes} bytes`, reply, 413);
    const body = reply.body;
    // finish() closes the connection once answered: unread bytes would otherwise be buffered.
    finish(req, 413, ['Content-Type', JSON_TYPE, 'Connection', 'close'], body);
    req.removeListener('data', onData);
    req.pause();
  }

  function authFailure(req: EvaluatorRequest, status: number): void {
    const key = req.route === R_SINGLE ? req.flagKey : undefined;
    if (status === 503) {
      errorReply(key, 'GENERAL', 'no snapshot loaded yet; retry shortly', reply, 503);
      finish(req, 503, ['Content-Type', JSON_TYPE, 'Retry-After', '1'], reply.body);
    } else {
      errorReply(key, 'GENERAL', 'missing or unknown SDK key (Authorization: Bearer <key> or X-API-Key)', reply, status);
      finish(req, status, ['Content-Type', JSON_TYPE, 'WWW-Authenticate', 'Bearer'], reply.body);
    }
  }

  /** The environment of the request's SDK key, or the HTTP status to answer (401, or 503 before any snapshot). */
  function authenticate(req: EvaluatorRequest): string | number {
    let key: string | undefined;
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      if (auth.length > 7 && (auth.startsWith('Bearer ') || auth.slice(0, 7).toLowerCase() === 'bearer ')) key = auth.slice(7).trim();
    } else {
      const header = req.headers['x-api-key'];
      if (typeof header === 'string') key = header.trim();
    }
    if (key === undefined || key.length === 0) return 401;
    req.sdkKey = key;
    let env = keyCache.get(key);
    if (env !== undefined) return env;
    env = store.environmentOfKeyHash(hashSdkKey(key));
    if (env === undefined) return store.isReady() ? 401 : 503;
    if (keyCache.size >= 10_000) keyCache = new Map();
    keyCache.set(key, env);
    return env;
  }

  function shed(req: EvaluatorRequest): void {
    metrics.shedRequest(admission.reason());
    finish(req, 429, ['Content-Type', JSON_TYPE, 'Retry-After', '1'], '{"errorCode":"GENERAL","errorDetails":"evaluator overloaded; retry after 1 s"}');
  }

  /** 429 for a stream over a cap: Retry-After 30 s for the key's own cap, 5 s for the process's. */
  function streamRefused(req: EvaluatorRequest, refusal: StreamRefusal): void {
    metrics.shedRequest(refusal);
    const perKey = refusal === 'sse_per_key';
    const details = perKey
      ? `this SDK key has ${cfg.sseMaxStreamsPerKey} open streams on this evaluator, the most it may`
      : `this evaluator has ${cfg.sseMaxStreams} open streams, the most it serves`;
    finishJson(req, 429, { errorCode: 'GENERAL', errorDetails: details }, ['Retry-After', perKey ? '30' : '5']);
  }

  function internalError(req: EvaluatorRequest, res: ServerResponse, e: unknown): void {
    logger.error('request failed', { error: (e as Error)?.stack ?? String(e), url: req.url });
    if (req.done) return;
    if (res.headersSent) { release(req); res.destroy(); return; }
    errorReply(req.route === R_SINGLE ? req.flagKey : undefined, 'GENERAL', 'internal error', reply, 500);
    finish(req, 500, ['Content-Type', JSON_TYPE], reply.body);
  }

  function routeOther(req: EvaluatorRequest, res: ServerResponse, url: string): void {
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      req.route = R_OTHER;
      if (path.startsWith('/ofrep/') || path === '/v1/snapshot' || path === '/v1/stream' || path === '/healthz' || path === '/readyz') {
        finishJson(req, 405, { error: `method ${method} not allowed` });
      } else finishPlain(req, 404, 'not found');
      return;
    }
    switch (path) {
      // Health probes take no slot and are never shed: an orchestrator that sees a shedding
      // evaluator as dead would restart it exactly when it is busiest.
      case '/healthz':
        req.route = R_HEALTH;
        finishJson(req, 200, { status: 'ok' });
        return;
      case '/readyz': {
        // Bare on the public port; the detail (environment ids, killed flag keys) is on the admin listener.
        req.route = R_READY;
        const ready = store.isReady();
        finishJson(req, ready ? 200 : 503, { ready });
        return;
      }
      case '/v1/snapshot':
        req.route = R_SNAPSHOT;
        if (!admit(req)) return;
        snapshotEndpoint(req, q < 0 ? '' : url.slice(q + 1));
        return;
      case '/v1/stream':
      case '/ofrep/v1/stream':
        req.route = R_STREAM;
        if (!admit(req)) return;
        streamEndpoint(req, res, path === '/v1/stream' ? 'snapshot' : 'ofrep', q < 0 ? '' : url.slice(q + 1));
        return;
      default:
        req.route = R_OTHER;
        finishPlain(req, 404, 'not found');
    }
  }

  /** Resolves the SDK key for GET endpoints; answers and returns undefined when it cannot. */
  function authorizeGet(req: EvaluatorRequest, query: string): string | undefined {
    const env = authenticate(req);
    if (typeof env === 'number') { authFailure(req, env); return undefined; }
    const asked = query.length > 0 ? new URLSearchParams(query).get('environment') : null;
    if (asked !== null && asked !== env) {
      finishJson(req, 403, { error: `this SDK key is scoped to another environment than ${JSON.stringify(asked)}` });
      return undefined;
    }
    return env;
  }

  function snapshotEndpoint(req: EvaluatorRequest, query: string): void {
    const env = authorizeGet(req, query);
    if (env === undefined) return;
    const state = store.get(env);
    if (state === undefined) { finishJson(req, 503, { error: 'no snapshot loaded yet' }, ['Retry-After', '1']); return; }
    const etag = state.etag;
    const match = req.headers['if-none-match'];
    if (match !== undefined && etagMatches(match, etag)) { finish(req, 304, ['ETag', etag, 'Cache-Control', 'no-cache'], undefined); return; }
    finish(req, 200, ['Content-Type', JSON_TYPE, 'ETag', etag, 'Cache-Control', 'no-cache'], req.method === 'HEAD' ? undefined : state.snapshotJson);
  }

  function streamEndpoint(req: EvaluatorRequest, res: ServerResponse, format: 'snapshot' | 'ofrep', query: string): void {
    const env = authorizeGet(req, query);
    if (env === undefined) return;
    // HEAD learns what a stream would answer and opens none (it would never end otherwise).
    if (req.method === 'HEAD') { finish(req, 200, Object.entries(STREAM_HEADERS).flat(), undefined); return; }
    const keyHash = hashSdkKey(req.sdkKey);
    const refusal = sse.admit(keyHash);
    if (refusal !== undefined) { streamRefused(req, refusal); return; }
    // A stream is not "in flight" work: it counts against the stream caps, not the slots.
    release(req);
    req.socket.setTimeout(0);
    sse.add(env, keyHash, res, format, store.get(env));
  }

  function startSpan(req: EvaluatorRequest): void {
    const parent = propagation.extract(otelContext.active(), req.headers);
    req.span = tracer.startSpan(req.route === R_SINGLE ? 'ofrep evaluate flag' : 'ofrep evaluate flags', {
      kind: SpanKind.SERVER,
      startTime: performance.timeOrigin + req.started,
      attributes: {
        'http.request.method': 'POST',
        'http.route': req.route === R_SINGLE ? '/ofrep/v1/evaluate/flags/{key}' : '/ofrep/v1/evaluate/flags',
        'feature_flag.set.id': req.environment,
        ...(req.route === R_SINGLE ? { 'feature_flag.key': req.flagKey } : {}),
      },
    }, parent);
  }

  function endSpan(req: EvaluatorRequest, status: number, state: EnvironmentState | undefined): void {
    const span = req.span!;
    req.span = undefined;
    span.setAttribute('http.response.status_code', status);
    if (state !== undefined) span.setAttribute('feature_flag.version', String(state.version));
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  store.onSwap((state, previous) => {
    // A span per swap, when tracing is on: swaps are rare and worth seeing in a trace backend.
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
  });

  const server: EvaluatorServer = {
    config: cfg,
    store,
    metrics,
    admission,
    http,
    admin,
    get url() {
      return `http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${this.port}`;
    },
    get port() {
      const address = http.address() as AddressInfo | null;
      return address?.port ?? cfg.port;
    },
    get adminUrl() {
      return `http://${ADMIN_HOST}:${this.adminPort}`;
    },
    get adminPort() {
      const address = admin.address() as AddressInfo | null;
      return address?.port ?? cfg.adminPort;
    },
    async start() {
      await store.start();
      const listen = (s: Server, port: number, host: string) => new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => { s.off('error', reject); resolve(); });
      });
      await listen(admin, cfg.adminPort, ADMIN_HOST);
      try {
        await listen(http, cfg.port, cfg.host);
      } catch (e) {
        await new Promise<void>((resolve) => admin.close(() => resolve()));
        throw e;
      }
      admission.start();
      logger.info('evaluator listening', { url: server.url, adminUrl: server.adminUrl, environments: store.all().map((s) => `${s.environment}@${s.version}`) });
    },
    async close() {
      admission.stop();
      sse.close();
      const stop = (s: Server) => new Promise<void>((resolve) => {
        if (!s.listening) { resolve(); return; }
        s.close(() => resolve());
        s.closeAllConnections();
      });
      await Promise.all([stop(http), stop(admin)]);
      await store.close();
    },
  };
  return server;
}

/** True while a request has a body (Content-Length > 0, or chunked) that has not fully arrived. */
function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** If-None-Match against one ETag: `*`, the exact tag, a weak form of it, or a list containing it. */
export function etagMatches(header: string, etag: string): boolean {
  if (header === etag || header === '*') return true;
  if (!header.includes(',') && !header.startsWith('W/')) return false;
  for (const part of header.split(',')) {
    const t = part.trim();
    if (t === etag || t === `W/${etag}`) return true;
  }
  return false;
}
