/**
 * A stand-in for Prometheus' instant-query API, for the controller benchmark only (issue 5 allows
 * replacing Prometheus there): 1 000 rollouts ticking every 5 s need answers that are cheap,
 * deterministic and countable. It speaks the real wire shapes of `/api/v1/query` (checked against a
 * real Prometheus in prometheus-replay.int.test.ts) and answers whatever `answer(query)` says.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to answer to one query: a one-sample vector, an empty vector ("no data"), or a 400 bad_data. */
export type ReplayAnswer = { value: number; metric?: Record<string, string> } | 'empty' | 'error';

/** Options for {@link startReplayPrometheus}. */
export interface ReplayPrometheusOptions {
  /** Decides the answer per PromQL text. If it throws, the query gets a 500 `internal` error. */
  answer: (query: string) => ReplayAnswer | Promise<ReplayAnswer>;
  /** Added before every answer, to model Prometheus' own query time. Default 0. */
  latencyMs?: number;
  /** Default 0 (a free port). */
  port?: number;
}

/** Query counts since start or the last `resetStats()`. */
export interface ReplayStats {
  queries: number;
  /** Epoch ms when counting began. */
  since: number;
  /** `queries` divided by the seconds since `since`. */
  queriesPerSecond: number;
}

/** A running replay server, owned by the caller. */
export interface ReplayPrometheus {
  /** Base URL, e.g. `http://127.0.0.1:41234` — what a policy's Prometheus address points at. */
  url: string;
  port: number;
  stats(): ReplayStats;
  resetStats(): void;
  /** Stops listening, drops connections and cancels pending delayed answers. Idempotent. */
  stop(): Promise<void>;
}

/** Request bodies beyond this are refused; real PromQL queries are far smaller. */
const MAX_BODY_BYTES = 1 << 20;

/** Starts the replay server on 127.0.0.1 and resolves once it listens. */
export async function startReplayPrometheus(options: ReplayPrometheusOptions): Promise<ReplayPrometheus> {
  const latencyMs = options.latencyMs ?? 0;
  if (!(latencyMs >= 0 && latencyMs <= 60_000)) throw new Error(`latencyMs must be in [0, 60000], got ${latencyMs}`);
  let queries = 0;
  let since = Date.now();
  const timers = new Set<NodeJS.Timeout>();

  const delay = () =>
    latencyMs === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, latencyMs);
          timers.add(t);
        });

  const handleQuery = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    // Like Prometheus' r.FormValue: form body and query string both count, the body first.
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST') {
      const body = await readBody(req);
      for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
    }
    queries++;
    const query = params.get('query') ?? '';
    const time = params.has('time') ? Number(params.get('time')) : Date.now() / 1000;
    if (query === '')
      return sendError(
        res,
        400,
        'bad_data',
        'invalid parameter "query": 1:1: parse error: no expression found in input',
      );
    if (!Number.isFinite(time))
      return sendError(
        res,
        400,
        'bad_data',
        `invalid parameter "time": cannot parse "${params.get('time')}" to a valid timestamp`,
      );
    let answer: ReplayAnswer;
    try {
      answer = await options.answer(query);
    } catch (err) {
      return sendError(res, 500, 'internal', `replay answer() threw: ${(err as Error).message}`);
    }
    await delay();
    if (answer === 'error') return sendError(res, 400, 'bad_data', `replay: query rejected: ${query}`);
    const result =
      answer === 'empty' ? [] : [{ metric: answer.metric ?? {}, value: [time, formatSampleValue(answer.value)] }];
    sendJson(res, 200, { status: 'success', data: { resultType: 'vector', result } });
  };

  function stats(): ReplayStats {
    const seconds = Math.max(0.001, (Date.now() - since) / 1000);
    return { queries, since, queriesPerSecond: queries / seconds };
  }
  function resetStats(): void {
    queries = 0;
    since = Date.now();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/api/v1/query' && (req.method === 'GET' || req.method === 'POST')) {
      handleQuery(req, res, url).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 400, 'bad_data', String((err as Error).message ?? err));
      });
      return;
    }
    if (url.pathname === '/-/ready' || url.pathname === '/-/healthy') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Prometheus replay is Ready.\n');
      return;
    }
    // Not Prometheus': lets a benchmark read the counts when the replay runs in another process.
    if (url.pathname === '/-/replay-stats') {
      if (url.searchParams.get('reset') === '1') resetStats();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats()));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    resetStats,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/**
 * A float as Prometheus writes sample values (util/jsonutil.MarshalValue): Go's shortest
 * round-tripping digits, in exponent form only when |v| < 1e-6 or |v| >= 1e21, and `NaN`, `+Inf`,
 * `-Inf`. JavaScript's String() switches to exponent form at the same thresholds; Go only pads
 * the exponent to two digits (`1.5e-07`, not `1.5e-7`) and keeps the sign of zero.
 */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v).replace(/e([+-])(\d)$/, 'e$10$2');
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendError(res: ServerResponse, status: number, errorType: string, error: string): void {
  sendJson(res, status, { status: 'error', errorType, error });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
