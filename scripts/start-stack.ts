/**
 * `npm start`: the whole local stack in one command. Controller API (PORT, default 4000; embedded
 * SQLite under DATA_DIR, default ./data, unless DATABASE_URL), the workers, and an evaluator fleet
 * (EVALUATOR_PORTS, default 4100,4101; the workers' metrics on WORKERS_METRICS_PORT, default
 * 4200, 127.0.0.1 only). When nothing answers at REDIS_URL (default
 * redis://127.0.0.1:6379) and redis-server is installed, a private one is started on a free
 * port without persistence. Likewise, when nothing answers at PROMETHEUS_URL (default
 * http://127.0.0.1:9090) and Debian's prometheus is installed, a private one scrapes the
 * evaluators and the workers (on that port when it is free; data in DATA_DIR/prometheus); one that
 * answers is used, and the targets it must scrape are printed. Ctrl-C stops everything; if any
 * process dies, the stack stops and exits non-zero with that process's last lines.
 */
import { maskUrl } from '@flagship/evaluator/mask-url';
import { startLocalStack } from './stack/local-stack.ts';

function fail(message: string): never {
  console.error(`start-stack: ${message}`);
  process.exit(1);
}

const env = process.env;
const port = env.PORT ? Number(env.PORT) : 4000;
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`PORT must be an integer 0..65535, got ${JSON.stringify(env.PORT)}`);
const workersMetricsPort = env.WORKERS_METRICS_PORT ? Number(env.WORKERS_METRICS_PORT) : undefined;
if (
  workersMetricsPort !== undefined &&
  (!Number.isInteger(workersMetricsPort) || workersMetricsPort < 0 || workersMetricsPort > 65535)
) {
  fail(
    `WORKERS_METRICS_PORT must be an integer 0..65535 (0: a free one), got ${JSON.stringify(env.WORKERS_METRICS_PORT)}`,
  );
}
const consolePort = env.CONSOLE_PORT ? Number(env.CONSOLE_PORT) : 3000;
if (!Number.isInteger(consolePort) || consolePort < 1 || consolePort > 65535)
  fail(`CONSOLE_PORT must be an integer 1..65535, got ${JSON.stringify(env.CONSOLE_PORT)}`);
const evaluatorPorts = (env.EVALUATOR_PORTS || '4100,4101').split(',').map((s) => Number(s.trim()));
if (evaluatorPorts.length < 1 || evaluatorPorts.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
  fail(`EVALUATOR_PORTS must be a comma list of ports, got ${JSON.stringify(env.EVALUATOR_PORTS)}`);
}

let shuttingDown = false;
let stack: Awaited<ReturnType<typeof startLocalStack>> | undefined;
const onUnexpectedExit = (
  child: { name: string; lastLines: string[] },
  code: number | null,
  signal: NodeJS.Signals | null,
) => {
  if (shuttingDown) return;
  shuttingDown = true;
  console.error(
    `\nstart-stack: ${child.name} exited (${signal ?? `code ${code}`}); its last lines:\n  ${child.lastLines.slice(-20).join('\n  ')}\nstart-stack: stopping the rest`,
  );
  const done = () => process.exit(typeof code === 'number' && code !== 0 ? code : 1);
  // During start-up, startLocalStack notices the exit, stops what it started (the private Redis
  // too) and throws: the catch below exits then.
  if (stack) void stack.stop().then(done, done);
};

const shutdown = (signal: NodeJS.Signals) => {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(`\nstart-stack: ${signal}: stopping the stack`);
  const done = () => process.exit(0);
  if (stack)
    void stack.supervisor
      .stopAll(signal)
      .then(() => stack!.stop())
      .then(done, done);
  else process.exit(130);
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  stack = await startLocalStack({
    controllerPort: port,
    evaluatorPorts,
    workersMetricsPort,
    consolePort,
    redisUrl: env.REDIS_URL || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR || undefined,
    adminToken: env.ADMIN_TOKEN || undefined,
    keyPrefix: env.REDIS_KEY_PREFIX || undefined,
    prometheus: 'auto',
    supervisor: { onUnexpectedExit },
  });
} catch (error) {
  // startLocalStack has stopped every process it started before throwing.
  if (shuttingDown) process.exit(1);
  fail((error as Error).message);
}

const s = stack;
// A token is printed only when the controller just generated it: one from ADMIN_TOKEN is the
// operator's own and stays out of terminals and CI logs.
const shownToken = env.ADMIN_TOKEN ? undefined : s.adminToken;
const lines = [
  '',
  'flagship local stack is up',
  `  console        ${s.consoleUrl}  (sign in with an API key)`,
  `  admin API      ${s.apiUrl}`,
  ...s.evaluatorUrls.map(
    (u, i) =>
      `  evaluator ${i + 1}    ${u}  (OFREP ${u}/ofrep/v1/evaluate/flags, /healthz, /readyz; admin ${s.evaluatorAdminUrls[i]}/metrics, /readyz, 127.0.0.1 only)`,
  ),
  `  workers        ${s.workersMetricsUrl}/metrics, /healthz  (127.0.0.1 only)`,
  `  redis          ${maskUrl(s.redisUrl)}${s.privateRedis ? '  (private redis-server, no persistence; stops with the stack)' : ''}`,
  s.prometheusUrl === undefined
    ? '  prometheus     none'
    : s.privatePrometheus
      ? `  prometheus     ${s.prometheusUrl}  (private, scraping ${s.scrapeTargets.join(', ')} every 5 s; data in DATA_DIR/prometheus; stops with the stack)`
      : `  prometheus     ${maskUrl(s.prometheusUrl)}  (yours: add the stack's targets to its scrape config: ${s.scrapeTargets.join(', ')}, path /metrics)`,
  `  admin key      ${shownToken ?? (env.ADMIN_TOKEN ? '(the one in ADMIN_TOKEN)' : '(not shown: the database already had an admin key; it was printed at first start. Set ADMIN_TOKEN to choose one.)')}`,
  '',
  `  try: curl -H "Authorization: Bearer ${shownToken ?? '<admin key>'}" ${s.apiUrl}/projects`,
  '  Ctrl-C stops everything.',
  '',
];
console.log(lines.join('\n'));
