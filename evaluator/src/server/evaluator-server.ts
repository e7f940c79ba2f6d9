/**
 * The evaluator server: OFREP single and bulk evaluation, the snapshot endpoint, SSE streams,
 * health and bare readiness on the public port, on plain node:http (the hot path's HTTP layer is
 * chosen by measurement, docs/performance.md; express costs ~5x here); metrics and readiness detail on
 * the admin listener (admin-listener.ts, 127.0.0.1 only).
 *
 * This file composes and starts and stops; each concern is its own module (docs/architecture.md):
 * config -> snapshot follower (snapshots/) -> metrics, SSE hub, admission, key auth and stream
 * tokens (auth/) -> reply path, CORS, router, body reader (http/) -> handlers (ofrep/, snapshots/,
 * stream/). Admission
 * rules: docs/operations.md, "Evaluator admission".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_HOST, createAdminListener } from './admin-listener.ts';
import { Admission } from './admission.ts';
import { SdkKeyAuth } from './auth/sdk-key-auth.ts';
import { resolveEvaluatorConfig, type EvaluatorConfig } from './config.ts';
import { clientErrorListener } from './http/client-errors.ts';
import { answerPreflight } from './http/cors.ts';
import { EvaluatorRequest } from './http/evaluator-request.ts';
import { Replies } from './http/reply.ts';
import { createRouter } from './http/router.ts';
import { jsonLogger, type Logger } from './logger.ts';
import { EvaluatorMetrics } from './observability/evaluator-metrics.ts';
import { traceSwap } from './observability/request-spans.ts';
import { EventStreamAdvert } from './ofrep/event-stream-advert.ts';
import { OfrepHandler } from './ofrep/ofrep-handler.ts';
import { RedisSnapshotFollower } from './snapshots/redis-snapshot-follower.ts';
import { createSnapshotHandler } from './snapshots/snapshot-handler.ts';
import { SseHub } from './stream/sse-hub.ts';
import { createStreamHandler } from './stream/stream-handler.ts';

/** A running evaluator server. */
export interface EvaluatorServer {
  readonly config: EvaluatorConfig;
  /** The snapshot follower: the environments being served. */
  readonly store: RedisSnapshotFollower;
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

/** Creates (does not start) an evaluator server. `config` is merged over the defaults and validated. */
export function createEvaluatorServer(
  config: Partial<EvaluatorConfig> = {},
  options: EvaluatorServerOptions = {},
): EvaluatorServer {
  const cfg = resolveEvaluatorConfig(config);
  const logger = options.logger ?? jsonLogger();
  const store = new RedisSnapshotFollower({ ...cfg, logger });
  const sse = new SseHub({
    heartbeatMs: cfg.sseHeartbeatMs,
    maxStreams: cfg.sseMaxStreams,
    maxPerKey: cfg.sseMaxStreamsPerKey,
    inlineMaxBytes: cfg.sseInlineMaxBytes,
  });
  const metrics = new EvaluatorMetrics({
    takeViews: () => store.takeViews(),
    all: () => store.all(),
    sseClients: () => sse.size(),
    sseRevoked: () => sse.revoked(),
  });
  const admission = new Admission(cfg.maxInFlight, cfg.maxEventLoopLagMs);
  const auth = new SdkKeyAuth(store);
  store.onSwap((state) => {
    auth.clear(); // a revoked key stops working at the swap that drops it
    metrics.swapped(state);
    sse.publish(state); // also ends the streams of keys this state no longer lists
    logger.info('snapshot swapped in', {
      environment: state.environment,
      version: state.version,
      source: state.source,
      killed: state.killed,
    });
  });
  store.onSwap(traceSwap);

  const replies = new Replies({ admission, metrics, logger });
  const ofrep = new OfrepHandler({
    environments: store,
    auth,
    admission,
    replies,
    maxBodyBytes: cfg.maxBodyBytes,
    maxContextDepth: cfg.maxContextDepth,
    eventStreams: new EventStreamAdvert({
      defaultHost: `${cfg.host}:${cfg.port}`,
      trustProxy: cfg.trustProxy,
      tokenTtlSeconds: cfg.streamTokenTtlSec,
    }),
    origins: store,
  });
  const router = createRouter({
    admission,
    replies,
    handlers: {
      ofrep: (req) => ofrep.begin(req),
      snapshot: createSnapshotHandler({ environments: store, auth, replies, metrics }),
      stream: createStreamHandler({
        environments: store,
        auth,
        replies,
        sse,
        maxStreams: cfg.sseMaxStreams,
        maxStreamsPerKey: cfg.sseMaxStreamsPerKey,
        now: Date.now,
      }),
      ready: () => store.isReady(),
      preflight: (req) => answerPreflight(req, store, replies),
    },
  });

  // requestTimeout is the body deadline: node:http measures it from a request's first byte (for
  // a new connection, from its accept) to the end of its body, and checks it every
  // connectionsCheckingInterval; an expired request comes to 'clientError' as
  // ERR_HTTP_REQUEST_TIMEOUT (http/client-errors.ts). headersTimeout may not exceed it.
  const checkEvery = Math.max(50, Math.min(1000, Math.round(cfg.bodyTimeoutMs / 4)));
  const http = createServer(
    {
      IncomingMessage: EvaluatorRequest,
      requestTimeout: cfg.bodyTimeoutMs,
      headersTimeout: cfg.bodyTimeoutMs,
      connectionsCheckingInterval: checkEvery,
    },
    router as never,
  );
  http.keepAliveTimeout = 65_000;
  http.on('clientError', clientErrorListener(cfg.bodyTimeoutMs, metrics));
  const admin = createAdminListener({
    store,
    metrics,
    requestTimeoutMs: cfg.bodyTimeoutMs,
    onError: (e, url) => logger.error('admin request failed', { error: (e as Error)?.stack ?? String(e), url }),
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
      const listen = (s: Server, port: number, host: string) =>
        new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(port, host, () => {
            s.off('error', reject);
            resolve();
          });
        });
      await listen(admin, cfg.adminPort, ADMIN_HOST);
      try {
        await listen(http, cfg.port, cfg.host);
      } catch (e) {
        await new Promise<void>((resolve) => admin.close(() => resolve()));
        throw e;
      }
      admission.start();
      logger.info('evaluator listening', {
        url: server.url,
        adminUrl: server.adminUrl,
        environments: store.all().map((s) => `${s.environment}@${s.version}`),
      });
    },
    async close() {
      admission.stop();
      sse.close();
      const stop = (s: Server) =>
        new Promise<void>((resolve) => {
          if (!s.listening) {
            resolve();
            return;
          }
          s.close(() => resolve());
          s.closeAllConnections();
        });
      await Promise.all([stop(http), stop(admin)]);
      await store.close();
    },
  };
  return server;
}
