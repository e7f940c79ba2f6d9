/**
 * The evaluator's admin listener: `/metrics` and the detail of `/readyz` (environment ids,
 * versions, killed flag keys), on 127.0.0.1 only, at `adminPort` (docs/operations.md, "Evaluator
 * admission"). The public port answers an anonymous caller nothing but `/healthz` and a bare
 * ready / not ready: what is here would tell an attacker which environments and flags exist.
 * Never shed: a scrape or probe under load is when an operator needs it most.
 *
 * `POST /debug/gc` runs a full garbage collection and answers the heap in use after it, when the
 * process was started with `--expose-gc` (404 otherwise): a leak check (`npm run load:spike`) must
 * compare heaps without the garbage a spike leaves for V8 to collect when it likes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  ROUTE_HEALTH,
  ROUTE_METRICS,
  ROUTE_OTHER,
  ROUTE_READY,
  type EvaluatorMetrics,
} from './observability/evaluator-metrics.ts';
import type { ReplicationStatus } from './regions/replication-status.ts';
import type { RedisSnapshotFollower } from './snapshots/redis-snapshot-follower.ts';

/** The admin listener's host: fixed, never configurable (the public port is for everyone else). */
export const ADMIN_HOST = '127.0.0.1';

/** What `/readyz` on the admin listener answers. */
export interface ReadinessDetail {
  ready: boolean;
  redis: 'connected' | 'disconnected';
  environments: Array<
    | { environment: string; loaded: false }
    | {
        environment: string;
        loaded: true;
        version: number;
        source: string;
        killedFlags: readonly string[];
        ageSeconds: number;
        loadedSecondsAgo: number;
      }
  >;
  /** This evaluator's region (REGION), when its region monitor runs (main.ts; docs/regions.md). */
  region?: string;
  /**
   * Replication from the home region: it never changes `ready` (a cut-off region keeps serving
   * its last snapshot, never defaults), only says how old what it follows is.
   */
  replication?: Omit<ReplicationStatus, 'region'>;
}

/** The readiness of every expected or loaded environment, and the replication status when known. */
export function readinessDetail(
  store: RedisSnapshotFollower,
  now = Date.now(),
  replication?: ReplicationStatus,
): ReadinessDetail {
  const expected = store.expectedEnvironments();
  const environments = [...new Set([...expected, ...store.all().map((s) => s.environment)])].sort().map((env) => {
    const s = store.get(env);
    return s === undefined
      ? { environment: env, loaded: false as const }
      : {
          environment: env,
          loaded: true as const,
          version: s.version,
          source: s.source,
          killedFlags: s.killed,
          ageSeconds: Math.round((now - (s.envelope.publishedAt || s.loadedAt)) / 100) / 10,
          loadedSecondsAgo: Math.round((now - s.loadedAt) / 100) / 10,
        };
  });
  const detail: ReadinessDetail = {
    ready: store.isReady(),
    redis: store.redisConnected ? 'connected' : 'disconnected',
    environments,
  };
  if (replication !== undefined) {
    const { region, ...rest } = replication;
    detail.region = region;
    detail.replication = rest;
  }
  return detail;
}

/** Creates (does not start) the admin listener; timeouts as the public one's. */
export function createAdminListener(o: {
  store: RedisSnapshotFollower;
  metrics: EvaluatorMetrics;
  requestTimeoutMs: number;
  onError(e: unknown, url: string | undefined): void;
}): Server {
  const send = (res: ServerResponse, route: number, started: number, status: number, type: string, body: string) => {
    res.writeHead(status, [
      'Content-Type',
      type,
      'Content-Length',
      String(Buffer.byteLength(body)),
      'Cache-Control',
      'no-store',
    ]);
    res.end(body);
    o.metrics.observe(route, status, (performance.now() - started) / 1000);
  };
  const json = 'application/json';
  const http = createServer(
    { requestTimeout: o.requestTimeoutMs, headersTimeout: o.requestTimeoutMs },
    (req: IncomingMessage, res: ServerResponse) => {
      const started = performance.now();
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (req.method === 'POST' && path === '/debug/gc') {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (gc === undefined) {
          send(res, ROUTE_OTHER, started, 404, json, '{"error":"not started with --expose-gc"}');
          return;
        }
        gc();
        const { heapUsed } = process.memoryUsage();
        send(res, ROUTE_OTHER, started, 200, json, JSON.stringify({ heapUsedBytes: heapUsed }));
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const known = path === '/healthz' || path === '/readyz' || path === '/metrics';
        send(
          res,
          ROUTE_OTHER,
          started,
          known ? 405 : 404,
          json,
          JSON.stringify({ error: known ? `method ${req.method} not allowed` : 'not found' }),
        );
        return;
      }
      switch (path) {
        case '/healthz':
          send(res, ROUTE_HEALTH, started, 200, json, '{"status":"ok"}');
          return;
        case '/readyz': {
          const detail = readinessDetail(o.store, Date.now(), o.metrics.replicationStatus());
          send(res, ROUTE_READY, started, detail.ready ? 200 : 503, json, JSON.stringify(detail));
          return;
        }
        case '/metrics':
          o.metrics.registry.metrics().then(
            (text) => send(res, ROUTE_METRICS, started, 200, o.metrics.registry.contentType, text),
            (e) => {
              o.onError(e, url);
              if (!res.headersSent) send(res, ROUTE_METRICS, started, 500, json, '{"error":"internal error"}');
            },
          );
          return;
        default:
          send(res, ROUTE_OTHER, started, 404, json, '{"error":"not found"}');
      }
    },
  );
  http.on('clientError', (_err, socket) => {
    socket.destroy();
  });
  return http;
}
