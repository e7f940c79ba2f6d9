/**
 * The workers' metrics listener: `/metrics` (Prometheus text of {@link WorkersMetrics}) and
 * `/healthz`, on 127.0.0.1 only, at WORKERS_METRICS_PORT (docs/operations.md). Fixed to loopback
 * like the evaluator's admin listener (evaluator/src/server/admin-listener.ts): the series name
 * queues and counts an outsider has no business reading; a Prometheus on the host scrapes it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkersMetrics } from './workers-metrics.ts';

/** The listener's host: fixed, never configurable. */
export const METRICS_HOST = '127.0.0.1';

const JSON_TYPE = 'application/json';

/** Creates (does not start) the listener. */
export function createMetricsListener(o: {
  metrics: WorkersMetrics;
  requestTimeoutMs?: number;
  onError(e: unknown): void;
}): Server {
  const timeout = o.requestTimeoutMs ?? 10_000;
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, [
      'Content-Type',
      type,
      'Content-Length',
      String(Buffer.byteLength(body)),
      'Cache-Control',
      'no-store',
    ]);
    res.end(body);
  };
  const http = createServer(
    { requestTimeout: timeout, headersTimeout: timeout },
    (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const known = path === '/healthz' || path === '/metrics';
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(
          res,
          known ? 405 : 404,
          JSON_TYPE,
          JSON.stringify({ error: known ? `method ${req.method} not allowed` : 'not found' }),
        );
        return;
      }
      if (path === '/healthz') return send(res, 200, JSON_TYPE, '{"status":"ok"}');
      if (path !== '/metrics') return send(res, 404, JSON_TYPE, '{"error":"not found"}');
      o.metrics.registry.metrics().then(
        (text) => send(res, 200, o.metrics.registry.contentType, text),
        (e) => {
          o.onError(e);
          if (!res.headersSent) send(res, 500, JSON_TYPE, '{"error":"internal error"}');
        },
      );
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
export async function startMetricsListener(o: {
  port: number;
  metrics: WorkersMetrics;
  onError(e: unknown): void;
}): Promise<RunningMetricsListener> {
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
