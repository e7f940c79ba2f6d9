/**
 * The demo service for `npm run demo`: each `GET /work?user=<id>` evaluates one flag for that user
 * through the evaluator's OFREP API, then fails with the configured probability for the variant it
 * got. Its per-variant request/error counters on `/metrics` are what the rollout policies query
 * (policies/standard.yaml: app_requests_total / app_request_errors_total by flag, variant,
 * environment), so a "bad treatment" is just a high error rate for that variant.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';

/** What the service needs from an evaluation: the variant served to the user. */
export interface Evaluation {
  variant: string;
  /** OFREP `errorCode` (or a transport error) when the variant is {@link UNKNOWN_VARIANT}. */
  errorCode?: string;
}

/** Evaluates the service's flag for one user. May throw; the service then counts {@link UNKNOWN_VARIANT}. */
export type EvaluateFn = (user: string) => Promise<Evaluation>;

/** The variant label used when the evaluator could not give one (error, timeout, no variant). */
export const UNKNOWN_VARIANT = 'unknown';

/** Options for {@link startDemoService}. */
export interface DemoServiceOptions {
  /** Port to listen on (127.0.0.1); 0 picks a free one. */
  port: number;
  /** Evaluator base URL, e.g. `http://127.0.0.1:8081`. */
  evaluatorUrl: string;
  /** SDK key sent as `Authorization: Bearer`; it scopes the evaluation to one environment. */
  sdkKey: string;
  flag: string;
  /** Label value only (the SDK key decides the environment the evaluator uses). */
  environment: string;
  /** Probability in [0, 1] that a request served `variant` fails with HTTP 500. Missing variants: 0. */
  errorRates: Record<string, number>;
  /** Extra latency per variant, in ms. */
  latencyMs?: Record<string, number>;
  /** Replaces the OFREP call (tests, or a service without an evaluator). */
  evaluate?: EvaluateFn;
  /** Timeout of the default OFREP call. Default 2 000 ms. */
  evaluateTimeoutMs?: number;
}

/** A running demo service, owned by the caller. */
export interface DemoService {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Replaces the error rates (e.g. to make the treatment go bad mid-rollout). */
  setErrorRates(rates: Record<string, number>): void;
  /** Replaces the per-variant extra latency. */
  setLatencyMs(latency: Record<string, number>): void;
  /** The service's own registry (what `/metrics` serves). */
  registry: Registry;
  /** Stops listening and drops open connections. Idempotent. */
  stop(): Promise<void>;
}

/**
 * An {@link EvaluateFn} that calls `POST {evaluatorUrl}/ofrep/v1/evaluate/flags/{flag}` with the
 * user as `targetingKey`. It never throws: any failure (4xx/5xx with an OFREP error body, network,
 * timeout, a 200 without a variant) comes back as {@link UNKNOWN_VARIANT} with an `errorCode`.
 */
export function ofrepEvaluator(options: {
  evaluatorUrl: string;
  sdkKey: string;
  flag: string;
  timeoutMs?: number;
}): EvaluateFn {
  const endpoint = new URL(`/ofrep/v1/evaluate/flags/${encodeURIComponent(options.flag)}`, options.evaluatorUrl);
  const timeoutMs = options.timeoutMs ?? 2_000;
  return async (user) => {
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.sdkKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ context: { targetingKey: user } }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await res.json().catch(() => ({}))) as { variant?: unknown; errorCode?: unknown };
      if (!res.ok) {
        return {
          variant: UNKNOWN_VARIANT,
          errorCode: typeof body.errorCode === 'string' ? body.errorCode : `HTTP_${res.status}`,
        };
      }
      // OFREP makes `variant` optional; without it there is no arm to attribute the request to.
      if (typeof body.variant !== 'string' || body.variant === '')
        return { variant: UNKNOWN_VARIANT, errorCode: 'NO_VARIANT' };
      return { variant: body.variant };
    } catch (err) {
      const name = (err as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK';
      return { variant: UNKNOWN_VARIANT, errorCode: name };
    }
  };
}

/** Starts the demo service and resolves once it listens. Validates options first and throws on a bad one. */
export async function startDemoService(options: DemoServiceOptions): Promise<DemoService> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535)
    throw new Error(`port must be 0-65535, got ${options.port}`);
  if (!options.flag) throw new Error('flag is required');
  if (!options.environment) throw new Error('environment is required');
  let errorRates = validRates(options.errorRates);
  let latencyMs = validLatency(options.latencyMs ?? {});
  const evaluate = options.evaluate ?? ofrepEvaluator({ ...options, timeoutMs: options.evaluateTimeoutMs ?? 2_000 });
  const { flag, environment } = options;

  const registry = new Registry();
  const labelNames = ['flag', 'variant', 'environment'] as const;
  const requests = new Counter({
    name: 'app_requests_total',
    help: 'Requests to /work by flag variant served',
    labelNames,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'app_request_errors_total',
    help: 'Failed (HTTP 500) requests to /work by flag variant served',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'app_request_duration_seconds',
    help: 'Duration of /work requests, evaluation included',
    labelNames,
    registers: [registry],
  });

  // A counter series that first appears at N > 0 loses those N to increase(); creating both at 0
  // before any traffic (for the configured variants, and on first sight for others) means an
  // error ratio of 0 reads as 0, not as "no data".
  const seen = new Set<string>();
  const ensureSeries = (variant: string) => {
    if (seen.has(variant)) return;
    seen.add(variant);
    requests.labels(flag, variant, environment).inc(0);
    errors.labels(flag, variant, environment).inc(0);
  };
  for (const variant of Object.keys(errorRates)) ensureSeries(variant);

  const handleWork = async (url: URL, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const user = url.searchParams.get('user');
    if (!user) {
      sendJson(res, 400, { error: 'query parameter "user" is required' });
      return;
    }
    let variant: string;
    try {
      variant = (await evaluate(user)).variant || UNKNOWN_VARIANT;
    } catch {
      variant = UNKNOWN_VARIANT;
    }
    ensureSeries(variant);
    const delay = latencyMs[variant] ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const failed = Math.random() < (errorRates[variant] ?? 0);
    requests.labels(flag, variant, environment).inc();
    if (failed) errors.labels(flag, variant, environment).inc();
    duration.labels(flag, variant, environment).observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (failed) sendJson(res, 500, { error: 'injected failure', variant });
    else sendJson(res, 200, { user, variant });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/work') return handleWork(url, res);
    if (req.method === 'GET' && url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
      return;
    }
    if (req.method === 'GET' && url.pathname === '/healthz') {
      sendJson(res, 200, { ok: true });
      return;
    }
    sendJson(res, 404, { error: 'not found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    registry,
    setErrorRates(rates) {
      errorRates = validRates(rates);
      for (const variant of Object.keys(errorRates)) ensureSeries(variant);
    },
    setLatencyMs(latency) {
      latencyMs = validLatency(latency);
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets from load drivers and scrapers would otherwise hold close() open.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function validRates(rates: Record<string, number>): Record<string, number> {
  for (const [variant, rate] of Object.entries(rates)) {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`errorRates.${variant} must be in [0, 1], got ${rate}`);
  }
  return { ...rates };
}

function validLatency(latency: Record<string, number>): Record<string, number> {
  for (const [variant, ms] of Object.entries(latency)) {
    if (!(ms >= 0 && ms <= 60_000)) throw new Error(`latencyMs.${variant} must be in [0, 60000], got ${ms}`);
  }
  return { ...latency };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
