/**
 * The admin API's request metrics for the admin-api-availability SLO (docs/slo.md):
 * `controller_http_request_duration_seconds{method, route, status}`, a histogram in Prometheus'
 * text format. Written by hand rather than with prom-client, which the controller does not depend
 * on (the workspace declares its own dependencies; docs/architecture.md). Labels are bounded: the
 * route is the matched route's pattern (`/api/v1/projects/:project/flags`), never the request's
 * path; a request no route matched is `unmatched`; methods outside the usual seven are `OTHER`.
 */
import type { NextFunction, Request, Response } from 'express';

/** Bucket bounds in seconds: the admin API's answers are tens of milliseconds; a busy SQLite waits up to 5 s. */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const NAME = 'controller_http_request_duration_seconds';

interface Series {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

/** Counts every answered request; `middleware` records, `exposition()` renders. */
export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  /** Express middleware: mount before the routes (`app.use(metrics.middleware)`). */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once('finish', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
      this.observe(req.method, route, res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };

  /** Records one request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'OTHER';
    const labels = `method="${m}",route="${escapeLabel(route)}",status="${status}"`;
    let s = this.series.get(labels);
    if (!s) {
      s = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(labels, s);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  /** The Prometheus text exposition (version 0.0.4). */
  exposition(): string {
    const lines = [
      `# HELP ${NAME} Admin API request handling time by method, matched route and status.`,
      `# TYPE ${NAME} histogram`,
    ];
    for (const s of this.series.values()) {
      BUCKETS.forEach((b, i) => lines.push(`${NAME}_bucket{${s.labels},le="${b}"} ${s.counts[i]}`));
      lines.push(`${NAME}_bucket{${s.labels},le="+Inf"} ${s.count}`);
      lines.push(`${NAME}_sum{${s.labels}} ${s.sum}`);
      lines.push(`${NAME}_count{${s.labels}} ${s.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
