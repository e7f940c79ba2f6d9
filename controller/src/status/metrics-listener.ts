/**
 * The controller's metrics listener: `/metrics` (the admin API's request histogram,
 * {@link HttpMetrics}) and `/healthz`, on 127.0.0.1 only, at CONTROLLER_METRICS_PORT (default 4300,
 * 0: off; docs/operations.md). Apart from the admin API's port and fixed to loopback like the
 * evaluator's admin listener and the workers' metrics listener: the admin API is often exposed,
 * while route-level counts are for the host's Prometheus only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpMetrics } from './http-metrics.ts';

/** The listener's host: fixed, never configurable. */
export const METRICS_HOST = '127.0.0.1';

/** Prometheus' text exposition format. */
export const EXPOSITION_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const JSON_TYPE = 'application/json';

/** Creates (does not start) the listener. */
export function createMetricsListener(o: { metrics: HttpMetrics; requestTimeoutMs?: number }): Server {
  const timeout = o.requestTimeoutMs ?? 10_000;
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };
  const http = createServer(
    { requestTimeout: timeout, headersTimeout: timeout },
    (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const known = path === '/healthz' || path === '/metrics';
      if (!known) return send(res, 404, JSON_TYPE, '{"error":"not found"}');
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, JSON_TYPE, JSON.stringify({ error: `method ${req.method} not allowed` }));
      if (path === '/healthz') return send(res, 200, JSON_TYPE, '{"status":"ok"}');
      send(res, 200, EXPOSITION_TYPE, o.metrics.exposition());
    },
  );
  http.on('clientError', (_err, socket) => {
    socket.destroy();
  });
  return http;
}

export interface RunningMetricsListener {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** Starts the listener on {@link METRICS_HOST}:`port` (0: a free port); rejects when it cannot listen (EADDRINUSE). */
export async function startMetricsListener(o: { port: number; metrics: HttpMetrics }): Promise<RunningMetricsListener> {
  const http = createMetricsListener(o);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, METRICS_HOST, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://${METRICS_HOST}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
