/**
 * A private, throwaway Prometheus for integration tests: the Debian `prometheus` binary on a free
 * 127.0.0.1 port, scraping static targets every second, with its config and TSDB in a temp dir
 * that `stop()` removes. Plus `queryPrometheus` / `waitForSeries` to read it over the HTTP API.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePort } from '../scripts/stack/redis-server.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options for {@link startPrometheus}. */
export interface PrometheusHarnessOptions {
  /** Scrape targets as `host:port` (job `demo`, `/metrics`). May be empty. */
  targets: string[];
  /** Prometheus duration; also the evaluation interval and the scrape timeout. Default `1s`. */
  scrapeInterval?: string;
  /** TSDB directory to use instead of one inside the temp dir; it is left in place on stop. */
  dataDir?: string;
  /** How long to wait for `/-/ready`. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** TSDB retention (a Prometheus duration). Default `1h`: tests keep nothing for long. */
  retention?: string;
  /** The scrape job's name. Default `demo`. */
  jobName?: string;
  /** A port to try first (a stable URL across restarts); taken, a free one is used. Default: a free one. */
  port?: number;
  /** Rule files (absolute paths) to load, e.g. the product's prometheus/rules/*.yml. Default: none. */
  ruleFiles?: string[];
}

/** A running private Prometheus, owned by the caller. */
export interface PrometheusHarness {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  port: number;
  /** SIGTERM, SIGKILL after 5 s; resolves once the process is gone and the temp dir removed. Idempotent. */
  stop(): Promise<void>;
  /** Rewrites the config with new targets and applies it via `POST /-/reload`. */
  reload(targets: string[]): Promise<void>;
}

/** One sample of an instant query: labels and `[unix seconds, "value"]` as Prometheus sends it. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Debian package `prometheus` puts it at /usr/bin/prometheus. */
const PROMETHEUS_BIN = 'prometheus';
const STOP_GRACE_MS = 5_000;
const POLL_MS = 100;

/**
 * Starts Prometheus scraping `targets` and resolves once `/-/ready` answers 200 (about 0.2 s here).
 * The first scrape comes about 5 s later, and a reload takes effect about 5 s later too: Prometheus'
 * discovery manager batches target updates every 5 s (not configurable). Wait on `up` with
 * {@link waitForSeries} rather than assuming data is there.
 * Rejects (after cleaning up) if the process exits or is not ready within `readyTimeoutMs`.
 */
export async function startPrometheus(options: PrometheusHarnessOptions): Promise<PrometheusHarness> {
  const scrapeInterval = options.scrapeInterval ?? '1s';
  if (!/^\d+(ms|s|m)$/.test(scrapeInterval))
    throw new Error(`scrapeInterval must be a Prometheus duration like "1s", got "${scrapeInterval}"`);
  for (const t of options.targets) assertTarget(t);

  const dir = await mkdtemp(join(tmpdir(), 'prom-harness-'));
  const configFile = join(dir, 'prometheus.yml');
  const dataDir = options.dataDir ?? join(dir, 'data');
  const jobName = options.jobName ?? 'demo';
  const ruleFiles = options.ruleFiles ?? [];
  const writeConfig = (targets: string[]) =>
    writeFile(configFile, renderConfig(targets, scrapeInterval, jobName, ruleFiles));
  await writeConfig(options.targets);

  // freePort() then bind is racy against other processes grabbing the port; retry a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Probed first: a taken port's owner (another Prometheus) would answer our readiness check.
    const port = await freePort(attempt === 0 ? (options.port ?? 0) : 0);
    try {
      const proc = await launch(configFile, dataDir, port, options.readyTimeoutMs ?? 30_000, options.retention ?? '1h');
      const url = `http://127.0.0.1:${port}`;
      let stopped: Promise<void> | undefined;
      return {
        url,
        port,
        stop: () => (stopped ??= proc.stop().then(() => rm(dir, { recursive: true, force: true }))),
        async reload(targets) {
          for (const t of targets) assertTarget(t);
          await writeConfig(targets);
          // The reload handler answers only after the new config is applied (500 if it is rejected).
          const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
          if (!res.ok) throw new Error(`Prometheus reload failed: HTTP ${res.status} ${await res.text()}`);
        },
      };
    } catch (err) {
      lastError = err;
      if (!String(err).includes('address already in use')) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

function assertTarget(target: string): void {
  if (!/^[\w.-]+:\d+$/.test(target)) throw new Error(`target must be host:port, got "${target}"`);
}

function renderConfig(targets: string[], interval: string, jobName: string, ruleFiles: string[]): string {
  // JSON is valid YAML, so no YAML library is needed and quoting is always right.
  return `${JSON.stringify(
    {
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      ...(ruleFiles.length > 0 ? { rule_files: ruleFiles } : {}),
      scrape_configs: [{ job_name: jobName, honor_labels: true, static_configs: [{ targets }] }],
    },
    null,
    2,
  )}\n`;
}

interface Launched {
  stop(): Promise<void>;
}

async function launch(
  configFile: string,
  dataDir: string,
  port: number,
  readyTimeoutMs: number,
  retention: string,
): Promise<Launched> {
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      `--storage.tsdb.retention.time=${retention}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  // If the test process dies without calling stop(), do not leave an orphan Prometheus behind.
  const killOnExit = () => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  const maxAttempts = Math.ceil(readyTimeoutMs / POLL_MS) + 1;
  for (let attempt = 0; attempt < maxAttempts && Date.now() < deadline; attempt++) {
    if (spawnError) {
      await stop();
      throw new Error(`cannot start ${PROMETHEUS_BIN}: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `prometheus exited at start (code ${child.exitCode}, signal ${child.signalCode}): ${output.trim()}`,
      );
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.status === 200) return { stop };
    } catch {
      // Not listening yet.
    }
    await sleep(POLL_MS);
  }
  await stop();
  throw new Error(`prometheus on port ${port} was not ready within ${readyTimeoutMs} ms: ${output.trim()}`);
}

/** Thrown when Prometheus cannot be reached at all (refused, reset, DNS); `code` is the errno. */
export class PrometheusUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`Prometheus at ${url} unreachable: ${code}`, options);
    this.name = 'PrometheusUnreachableError';
  }
}

/** Thrown when Prometheus answers with `status: "error"` (e.g. `bad_data` for a parse error). */
export class PrometheusQueryError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorType: string,
    message: string,
  ) {
    super(`Prometheus query failed (HTTP ${httpStatus}, ${errorType}): ${message}`);
    this.name = 'PrometheusQueryError';
  }
}

/**
 * One instant query (`GET /api/v1/query`). Resolves with the samples of a vector result; a
 * scalar result comes back as one sample with no labels. Throws {@link PrometheusUnreachableError}
 * or {@link PrometheusQueryError}; an abort after `timeoutMs` throws a `TimeoutError`.
 */
export async function queryPrometheus(url: string, query: string, timeoutMs = 5_000): Promise<PromSample[]> {
  const endpoint = new URL('/api/v1/query', url);
  endpoint.searchParams.set('query', query);
  let res: Response;
  try {
    res = await fetch(endpoint, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    if (typeof code === 'string') throw new PrometheusUnreachableError(url, code, { cause: err });
    throw err;
  }
  const body = (await res.json()) as {
    status: string;
    errorType?: string;
    error?: string;
    data?: { resultType: string; result: unknown };
  };
  if (body.status !== 'success' || !body.data) {
    throw new PrometheusQueryError(res.status, body.errorType ?? 'unknown', body.error ?? JSON.stringify(body));
  }
  const { resultType, result } = body.data;
  if (resultType === 'vector') return result as PromSample[];
  if (resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
  throw new Error(`queryPrometheus handles instant vector/scalar results only, got ${resultType} for ${query}`);
}

/** The numeric value of the first sample, or undefined for an empty result ("no data"). */
export function firstValue(samples: PromSample[]): number | undefined {
  const v = samples[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

/**
 * Polls an instant query until `predicate` holds on its samples, and resolves with them.
 * Rejects at `timeoutMs` with the last result seen; rejects at once when Prometheus is unreachable
 * or rejects the query, since waiting cannot fix either.
 */
export async function waitForSeries(
  url: string,
  query: string,
  predicate: (samples: PromSample[]) => boolean,
  timeoutMs: number,
): Promise<PromSample[]> {
  const deadline = Date.now() + timeoutMs;
  // Bounded by count as well as time, in case a clock jump makes the deadline meaningless.
  const maxAttempts = Math.ceil(timeoutMs / 250) + 1;
  let last: unknown = 'no answer yet';
  for (let attempt = 0; attempt < maxAttempts && Date.now() < deadline; attempt++) {
    try {
      const samples = await queryPrometheus(url, query, Math.max(1, Math.min(5_000, deadline - Date.now())));
      if (predicate(samples)) return samples;
      last = samples;
    } catch (err) {
      if (err instanceof PrometheusUnreachableError || err instanceof PrometheusQueryError) throw err;
      last = err;
    }
    // A quarter of a 1 s scrape interval: fast enough to see a new sample, cheap for Prometheus.
    await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
  }
  throw new Error(
    `waitForSeries timed out after ${timeoutMs} ms for ${query}; last result: ${JSON.stringify(last instanceof Error ? last.message : last)}`,
  );
}

// The same free-port finder the local stack uses.
export { freePort };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
