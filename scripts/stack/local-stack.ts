/**
 * The whole local stack as child processes: controller API, workers, an evaluator fleet, and a
 * private redis-server when nothing answers at the Redis URL. Used by `npm start`
 * (scripts/start-stack.ts), the propagation benchmark and the end-to-end tests, so all three
 * run the same processes the same way.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PrometheusHarness, startPrometheus } from '../../testing/prometheus-harness.ts';
import { flagshipRuleFiles } from '../../prometheus/rule-files.ts';
import { freePort, hasRedisServer, type PrivateRedis, redisAnswers, startPrivateRedis } from './redis-server.ts';
import { type SupervisedChild, Supervisor, type SupervisorOptions, waitForHttp, waitForLine } from './supervisor.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface LocalStackOptions {
  /** Controller port; 0 = a free one. */
  controllerPort?: number;
  /** One evaluator process per port; 0 entries get free ports. Each one's admin listener is on port + 1000 (a free port for a 0 entry). */
  evaluatorPorts?: number[];
  /**
   * The first workers process's metrics listener (/metrics, /healthz on 127.0.0.1). Default:
   * controller port + 200 (4200 beside 4000), a free port when the controller's is 0 (test
   * stacks, so parallel stacks never collide); 0 here too: a free port. Workers started later
   * by {@link LocalStack.startWorkers} always get a free port (the first may still run).
   */
  workersMetricsPort?: number;
  /**
   * The controller's metrics listener (CONTROLLER_METRICS_PORT: /metrics, /healthz on 127.0.0.1).
   * Default: controller port + 300 (4300 beside 4000), a free port when the controller's is 0;
   * 0 here too: a free port.
   */
  controllerMetricsPort?: number;
  redisUrl?: string;
  /** Start a private redis-server when nothing answers at `redisUrl` (default true). */
  privateRedisFallback?: boolean;
  keyPrefix?: string;
  /** Undefined: embedded SQLite under `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
  adminToken?: string;
  /** Extra environment for every child. */
  env?: Record<string, string | undefined>;
  supervisor?: SupervisorOptions;
  /**
   * Serve the console (web/) on this port (0 = a free one); undefined: no console. It is built
   * first when no current build exists (web/scripts/console-build.ts), which takes a while.
   */
  consolePort?: number;
  /** Per step (default 60 s: two cores, tsx compiling at first start). */
  startTimeoutMs?: number;
  /**
   * `auto` (npm start): when nothing answers at PROMETHEUS_URL (default http://127.0.0.1:9090)
   * and Debian's prometheus is installed, start a private one that scrapes the evaluators and the
   * workers, keeps its data in `dataDir/prometheus` and stops with the stack; every child gets its
   * URL. Undefined: none (tests start their own).
   */
  prometheus?: 'auto';
}

export interface LocalStack {
  controllerUrl: string;
  /** The admin API base: `${controllerUrl}/api/v1`. */
  apiUrl: string;
  evaluatorUrls: string[];
  /** Each evaluator's admin listener (/metrics, /readyz detail), on 127.0.0.1, in the order of evaluatorUrls. */
  evaluatorAdminUrls: string[];
  redisUrl: string;
  privateRedis: PrivateRedis | undefined;
  /** The Prometheus the children were given (`prometheus: 'auto'`), and whether it is the stack's own. */
  prometheusUrl: string | undefined;
  privatePrometheus: boolean;
  /** What a Prometheus must scrape for this stack (`host:port`, path /metrics). */
  scrapeTargets: string[];
  /** The key printed by the controller at first start, or the given ADMIN_TOKEN; undefined when neither. */
  adminToken: string | undefined;
  supervisor: Supervisor;
  controller: SupervisedChild;
  workers: SupervisedChild;
  /**
   * The controller's metrics listener (`/metrics`, `/healthz`, 127.0.0.1 only), or undefined when
   * the controller does not serve one (CONTROLLER_METRICS_PORT=0 in the stack's environment).
   */
  controllerMetricsUrl: string | undefined;
  /** The first workers process's metrics listener: `${workersMetricsUrl}/metrics`, `/healthz` (127.0.0.1 only). */
  workersMetricsUrl: string;
  evaluators: SupervisedChild[];
  /** The console's URL when one was asked for. */
  consoleUrl: string | undefined;
  /** Starts another workers process with the same environment (e.g. after one was killed), its metrics listener on a free port. */
  startWorkers(): Promise<SupervisedChild & { metricsUrl: string }>;
  /** Stops every child (SIGTERM, bounded), then the private Redis. */
  stop(): Promise<void>;
}

/** Starts the stack and resolves once the controller listens and every evaluator answers /healthz. */
export async function startLocalStack(o: LocalStackOptions = {}): Promise<LocalStack> {
  const timeout = o.startTimeoutMs ?? 60_000;
  let redisUrl = o.redisUrl ?? 'redis://127.0.0.1:6379';
  let privateRedis: PrivateRedis | undefined;
  if (!(await redisAnswers(redisUrl))) {
    if (o.privateRedisFallback === false || !hasRedisServer()) {
      throw new Error(
        `nothing answers at ${redisUrl} and ${o.privateRedisFallback === false ? 'no private Redis was allowed' : 'no redis-server binary is installed (apt-get install redis-server)'}`,
      );
    }
    privateRedis = await startPrivateRedis();
    redisUrl = privateRedis.url;
  }
  const dataDir = resolve(REPO_ROOT, o.dataDir ?? 'data');
  const supervisor = new Supervisor(o.supervisor);
  const common = {
    ...process.env,
    ...o.env,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: o.keyPrefix,
    DATABASE_URL: o.databaseUrl,
    DATA_DIR: dataDir,
    // A stack with its own key prefix gets its own queues too (and its cleanup removes them).
    QUEUE_PREFIX: o.env?.QUEUE_PREFIX ?? process.env.QUEUE_PREFIX ?? (o.keyPrefix ? `${o.keyPrefix}q` : undefined),
    NODE_ENV: process.env.NODE_ENV ?? 'development',
  };
  let privatePrometheus: PrometheusHarness | undefined;
  let prometheusUrl: string | undefined;
  const stop = async () => {
    await supervisor.stopAll();
    await privateRedis?.stop();
    await privatePrometheus?.stop();
  };
  try {
    if (o.prometheus === 'auto') {
      const asked = o.env?.PROMETHEUS_URL ?? process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
      if (!(await prometheusAnswers(asked)) && existsSync(PROMETHEUS_BIN)) {
        // Targets come once the children's ports are known (a reload, below).
        privatePrometheus = await startPrometheus({
          targets: [],
          scrapeInterval: '5s',
          dataDir: resolve(dataDir, 'prometheus'),
          retention: '15d',
          jobName: 'flagship',
          port: loopbackPort(asked),
          // The SLO recording rules and alerts (docs/slo.md): the console's status page reads them.
          ruleFiles: flagshipRuleFiles(),
        });
      }
      prometheusUrl = privatePrometheus?.url ?? asked;
      Object.assign(common, {
        PROMETHEUS_URL: prometheusUrl,
        CONSOLE_PROMETHEUS_URL: o.env?.CONSOLE_PROMETHEUS_URL ?? process.env.CONSOLE_PROMETHEUS_URL ?? prometheusUrl,
      });
    }
    const controllerPort = o.controllerPort ?? 4000;
    const askedControllerMetrics = o.controllerMetricsPort ?? (controllerPort === 0 ? 0 : controllerPort + 300);
    const controllerMetricsPort = askedControllerMetrics === 0 ? await freePort() : askedControllerMetrics;
    const controllerMetricsOff = (o.env?.CONTROLLER_METRICS_PORT ?? process.env.CONTROLLER_METRICS_PORT) === '0';
    const controller = supervisor.start({
      name: 'controller',
      file: 'controller/src/main.ts',
      cwd: REPO_ROOT,
      env: {
        ...common,
        PORT: String(controllerPort),
        ADMIN_TOKEN: o.adminToken,
        // An explicit CONTROLLER_METRICS_PORT=0 in the environment turns the listener off.
        CONTROLLER_METRICS_PORT: controllerMetricsOff ? '0' : String(controllerMetricsPort),
      },
    });
    let printedToken: string | undefined;
    controller.lineListeners.add((line) => {
      const m = line.match(/^\s+(fsk_[\w-]+)\s*$/);
      if (m) printedToken = m[1];
    });
    const listening = await waitForLine(controller, /listening on (http:\/\/[^/\s]+)/, timeout);
    const controllerUrl = listening[1]!;
    // The controller starts its metrics listener before the admin API's, so it answers by now if
    // it serves one at all (CONTROLLER_METRICS_PORT not 0).
    const controllerMetrics = `http://127.0.0.1:${controllerMetricsPort}`;
    const controllerMetricsUrl =
      !controllerMetricsOff && (await answers(`${controllerMetrics}/healthz`)) ? controllerMetrics : undefined;
    // The workers start after the controller has migrated the database they read.
    let workerCount = 0;
    const workersOn = (metricsPort: number) =>
      Object.assign(
        supervisor.start({
          name: workerCount++ === 0 ? 'workers' : `workers-${workerCount}`,
          file: 'workers/src/main.ts',
          cwd: REPO_ROOT,
          env: { ...common, WORKERS_METRICS_PORT: String(metricsPort) },
        }),
        { metricsUrl: `http://127.0.0.1:${metricsPort}` },
      );
    const startWorkers = async () => workersOn(await freePort());
    const askedMetrics = o.workersMetricsPort ?? (controllerPort === 0 ? 0 : controllerPort + 200);
    const workers = workersOn(askedMetrics === 0 ? await freePort() : askedMetrics);
    const asked = o.evaluatorPorts ?? [4100, 4101];
    const ports = await Promise.all(asked.map((p) => (p === 0 ? freePort() : Promise.resolve(p))));
    const adminPorts = await Promise.all(asked.map((p) => (p === 0 ? freePort() : Promise.resolve(p + 1000))));
    const evaluators = ports.map((port, i) =>
      supervisor.start({
        name: `evaluator-${port}`,
        file: 'evaluator/src/server/main.ts',
        cwd: REPO_ROOT,
        env: {
          ...common,
          EVALUATOR_PORT: String(port),
          EVALUATOR_ADMIN_PORT: String(adminPorts[i]),
          EVALUATOR_DATA_DIR: resolve(dataDir, `evaluator-${port}`),
        },
      }),
    );
    const evaluatorUrls = ports.map((p) => `http://127.0.0.1:${p}`);
    const evaluatorAdminUrls = adminPorts.map((p) => `http://127.0.0.1:${p}`);
    const scrapeTargets = [
      new URL(workers.metricsUrl).host,
      ...evaluatorAdminUrls.map((u) => new URL(u).host),
      ...(controllerMetricsUrl ? [new URL(controllerMetricsUrl).host] : []),
    ];
    await privatePrometheus?.reload(scrapeTargets);
    await waitForLine(workers, /^workers: publishing/, timeout);
    await Promise.all(evaluatorUrls.map((u, i) => waitForHttp(`${u}/healthz`, timeout, evaluators[i])));
    let consoleUrl: string | undefined;
    if (o.consolePort !== undefined) {
      const consolePort = o.consolePort === 0 ? await freePort() : o.consolePort;
      const consoleChild = supervisor.start({
        name: 'console',
        file: 'web/scripts/console-main.ts',
        cwd: REPO_ROOT,
        env: { ...common, CONSOLE_PORT: String(consolePort), CONSOLE_API_URL: controllerUrl },
      });
      // A first start builds the console (half a minute or more on two cores).
      consoleUrl = (
        await waitForLine(consoleChild, /console: listening on (http:\/\/\S+)/, Math.max(timeout, 300_000))
      )[1];
    }
    return {
      consoleUrl,
      controllerUrl,
      apiUrl: `${controllerUrl}/api/v1`,
      evaluatorUrls,
      evaluatorAdminUrls,
      redisUrl,
      privateRedis,
      prometheusUrl,
      privatePrometheus: privatePrometheus !== undefined,
      scrapeTargets,
      adminToken: o.adminToken ?? printedToken,
      supervisor,
      controller,
      controllerMetricsUrl,
      workers,
      workersMetricsUrl: workers.metricsUrl,
      evaluators,
      startWorkers,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const PROMETHEUS_BIN = '/usr/bin/prometheus';

/**
 * The port of a loopback PROMETHEUS_URL (9090 by default): the private Prometheus takes it when it
 * is free, so its URL (and the console's graph links) stay the same across restarts.
 */
function loopbackPort(url: string): number | undefined {
  try {
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') return undefined;
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    return port >= 1024 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `url` answers 200 within a second. */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function prometheusAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/-/ready`, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
