/**
 * The workers process: the snapshot publisher (outbox -> Redis), the kill reconciler (kills made
 * through Redis while the database was down -> database + audit), the BullMQ safety sweep, and
 * the rollout workers (analysis ticks against Prometheus, webhook deliveries, the reconciler),
 * the schedule worker (due scheduled changes, and their reconciler), the home region's heartbeat
 * (regions/heartbeat-writer.ts), and its metrics listener (/metrics, /healthz on 127.0.0.1:WORKERS_METRICS_PORT).
 * Survives database and Redis outages: each loop logs once, backs off and resumes.
 */
import {
  BullDeliveryQueue,
  BullTickScheduler,
  createControlPlaneOn,
  createDatabase,
  MapPolicyCatalog,
  resolveWebhookSecretKey,
  runMigrations,
  runPropagationMigrations,
} from '@flagship/controller';
import { maskUrl, maskUrlsIn } from '@flagship/evaluator/mask-url';
import { describeRedis, redisClientOptions } from '@flagship/evaluator/propagation';
import { Redis as IORedis } from 'ioredis';
import { startRolloutWorkers } from './rollouts/rollout-workers.ts';
import { startScheduleWorkers } from './schedules/schedule-workers.ts';
import { WebhookOutboxDrainer } from './webhooks/webhook-outbox-drainer.ts';
import { ConfigError, loadWorkersConfig, type WorkersConfig } from './config.ts';
import { KillReconciler } from './kill/kill-reconciler.ts';
import { jsonLogger } from './logger.ts';
import { type RunningMetricsListener, startMetricsListener } from './metrics/metrics-listener.ts';
import { WorkersMetrics } from './metrics/workers-metrics.ts';
import { SnapshotPublisher } from './publisher/snapshot-publisher.ts';
import { createRedis } from './redis.ts';
import { HeartbeatWriter } from './regions/heartbeat-writer.ts';
import { PropagationSweep } from './sweep/propagation-sweep.ts';

let config: WorkersConfig;
try {
  config = loadWorkersConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`workers: bad configuration: ${maskUrlsIn(error.message)}`);
    process.exit(1);
  }
  throw error;
}

const logger = jsonLogger('workers');

// Up before the database wait: /healthz answers while the process waits for the database, and a
// taken port stops the process at start, where the operator looks, not never.
const metrics = new WorkersMetrics();
let metricsListener: RunningMetricsListener | undefined;
if (config.metricsPort !== 0) {
  try {
    metricsListener = await startMetricsListener({
      port: config.metricsPort,
      metrics,
      onError: (e) => logger.warn('workers: metrics scrape failed', { error: String(e) }),
    });
  } catch (error) {
    console.error(
      `workers: cannot listen for metrics on 127.0.0.1:${config.metricsPort}: ${(error as Error).message} (set WORKERS_METRICS_PORT to a free port, or 0 to turn the listener off)`,
    );
    process.exit(1);
  }
  console.log(`workers: metrics on ${metricsListener.url}/metrics (and /healthz), 127.0.0.1 only`);
}

const db = createDatabase({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile, poolSize: 4 });

// The database may not be up (or migrated by the controller) yet: wait for it, bounded only by
// the operator; the loops below would fail the same way until it answers.
for (let attempt = 1; ; attempt++) {
  try {
    // The controller migrates too; Kysely's migrator makes the second run a no-op.
    await runMigrations(db);
    await runPropagationMigrations(db);
    break;
  } catch (error) {
    if (attempt === 1 || attempt % 30 === 0)
      logger.warn('workers: database not ready; retrying', { error: maskUrlsIn(String(error)) });
    await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * attempt)));
  }
}

const redis = createRedis(config);
const subscriber = createRedis(config, { maxRetriesPerRequest: null });
for (const c of [redis, subscriber]) c.on('error', () => {}); // outages are logged by the loops
const publisher = new SnapshotPublisher({
  db,
  redis,
  subscriber,
  prefix: config.keyPrefix,
  pollIntervalMs: config.pollIntervalMs,
  logger,
  metrics,
});
// The outbox's oldest pending row, read at each scrape (flagship_outbox_oldest_pending_age_seconds).
metrics.watchOutbox(publisher);
const reconciler = new KillReconciler({
  db,
  redis,
  prefix: config.keyPrefix,
  logger,
  onApplied: () => publisher.poke(),
});
metrics.watchKills(reconciler);
const sweep = new PropagationSweep({
  db,
  redisUrl: config.redisUrl,
  redisSentinel: config.redisSentinel,
  prefix: config.keyPrefix,
  publisher,
  intervalMs: config.sweepIntervalMs,
  logger,
});

// The home region's heartbeat: far regions' evaluators measure their replication staleness by it.
const heartbeat = new HeartbeatWriter({ redis, keyPrefix: config.keyPrefix, region: config.region, logger });

await publisher.start();
reconciler.start();
await sweep.start();
heartbeat.start();

// Rollouts: the same services the admin API uses, so a ramp step is written exactly like a
// human change; after each commit the publisher is poked instead of waiting for its poll.
const queueConnection = new IORedis(redisClientOptions(config, { maxRetriesPerRequest: null }));
queueConnection.on('error', () => {});
const queues = { connection: queueConnection, prefix: config.queuePrefix };
const tickScheduler = new BullTickScheduler(queues);
const deliveryQueue = new BullDeliveryQueue(queues);
// The controller (or a sibling workers process) may have created the key file a moment ago.
const secretKey = await resolveWebhookSecretKey({ configured: config.webhookSecretKey, dataDir: config.dataDir });
let drainer: WebhookOutboxDrainer | undefined;
const plane = createControlPlaneOn(db, {
  hooks: { afterCommit: () => publisher.poke() },
  rollouts: {
    policies: new MapPolicyCatalog(new Map()),
    scheduler: tickScheduler,
    deliveries: deliveryQueue,
    // REGIONS: a step's clock also waits for every listed region to serve the step (docs/regions.md).
    regions: { redis, keyPrefix: config.keyPrefix, regions: config.regions },
  },
  webhooks: { secretKey: secretKey.key, allow: config.webhookAllow, wake: () => drainer?.wake() },
  log: (message, error) => logger.warn(message, { error: String(error ?? '') }),
});
const drainSubscriber = createRedis(config, { maxRetriesPerRequest: null });
drainSubscriber.on('error', () => {});
drainer = new WebhookOutboxDrainer({
  webhooks: plane.services.webhooks,
  subscriber: drainSubscriber,
  prefix: config.keyPrefix,
  log: (message, error) => logger.warn(message, { error: String(error ?? '') }),
});
await drainer.start();
const rolloutWorkers = await startRolloutWorkers({
  connection: queueConnection,
  prefix: config.queuePrefix,
  rollouts: plane.services.rollouts,
  webhooks: plane.services.webhooks,
  prometheusUrl: config.prometheusUrl,
  concurrency: config.tickConcurrency,
  secrets: config.policySecrets,
  webhookAllow: config.webhookAllow,
  metrics,
  log: (message, error) => logger.warn(message, { error: String(error ?? '') }),
});
const scheduleWorkers = await startScheduleWorkers({
  connection: queueConnection,
  prefix: config.queuePrefix,
  schedules: plane.services.schedules,
  log: (message, error) => logger.warn(message, { error: String(error ?? '') }),
});
console.log(
  `workers: rollout analysis against ${maskUrl(config.prometheusUrl)} (queues ${JSON.stringify(config.queuePrefix)}, ${config.tickConcurrency} ticks in flight)`,
);
if (config.regions.length > 0)
  console.log(`workers: rollout steps wait for regions ${config.regions.join(', ')} (home region ${config.region})`);
console.log(
  `workers: publishing snapshots from ${config.databaseUrl ? 'MySQL' : `SQLite ${config.sqliteFile}`} to ${describeRedis(config)} (prefix ${JSON.stringify(config.keyPrefix)}), outbox poll ${config.pollIntervalMs} ms`,
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info(`workers: ${signal}, stopping`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await drainer?.stop().catch(() => {});
  drainSubscriber.disconnect();
  await rolloutWorkers.close().catch(() => {});
  await scheduleWorkers.close().catch(() => {});
  await Promise.all([tickScheduler.close(), deliveryQueue.close()]).catch(() => {});
  queueConnection.disconnect();
  await heartbeat.stop();
  await publisher.stop();
  await reconciler.stop();
  await sweep.stop();
  redis.disconnect();
  subscriber.disconnect();
  await db.destroy().catch(() => {});
  await metricsListener?.close().catch(() => {});
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
