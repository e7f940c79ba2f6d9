/** `npm start`: migrate, make sure an admin key exists, serve. */
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { createControlPlane } from './app.ts';
import { ConfigError, type Config, loadConfig } from './config.ts';
import { runMigrations } from './db/migrations.ts';
import { RedisRevocationNotes } from './auth/verified-key-cache.ts';
import { RedisEmergencyKill } from './propagation/emergency-kill.ts';
import { RedisOutboxNotifier } from './propagation/outbox-notifier.ts';
import { BullTickScheduler } from './rollouts/bullmq-queues.ts';
import { MapPolicyCatalog } from './rollouts/policy-catalog.ts';
import { loadPolicies } from './rollouts/policy/load-policies.ts';
import { maskUrl, maskUrlsIn } from '@flagship/evaluator/mask-url';
import { describeRedis, redisClientOptions, redisKeys } from '@flagship/evaluator/propagation';
import { startMetricsListener } from './status/metrics-listener.ts';
import { resolveWebhookSecretKey } from './webhooks/webhook-secret-key.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`controller: bad configuration: ${maskUrlsIn(error.message)}`);
    process.exit(1);
  }
  throw error;
}

// A policy file with problems stops the start: a rollout must never run on a half-read policy.
const loaded = existsSync(config.policiesDir)
  ? await loadPolicies(config.policiesDir)
  : { policies: new Map(), problems: [] };
if (loaded.problems.length > 0) {
  for (const p of loaded.problems) console.error(`controller: policy ${p}`);
  console.error(`controller: fix the policies in ${config.policiesDir} (problems above)`);
  process.exit(1);
}
if (loaded.policies.size === 0)
  console.warn(`controller: no ramp policies in ${config.policiesDir}; rollouts cannot start`);

// Redis is optional for the admin API: a write never waits on it (hints and queues only). With
// Sentinel, ioredis finds the primary and follows a failover (docs/operations.md).
const redis = new Redis(redisClientOptions(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false }));
redis.on('error', () => {});
const queueConnection = new Redis(redisClientOptions(config, { maxRetriesPerRequest: null }));
queueConnection.on('error', () => {});
const outboxNotifier = new RedisOutboxNotifier(redis, config.redisKeyPrefix);
let secretKey: Awaited<ReturnType<typeof resolveWebhookSecretKey>>;
try {
  secretKey = await resolveWebhookSecretKey({ configured: config.webhookSecretKey, dataDir: config.dataDir });
} catch (error) {
  console.error(`controller: cannot read the webhook secret key: ${(error as Error).message}`);
  process.exit(1);
}
if (secretKey.source === 'created')
  console.log(
    `controller: created the webhook secret key ${secretKey.file} (set WEBHOOK_SECRET_KEY when processes run on several hosts)`,
  );
// After COMMIT of a rollout transition with webhook events: the workers' drainer wakes at once.
const webhookWake = redisKeys(config.redisKeyPrefix).webhookOutboxWake;
const wakeDrainer = () => {
  if (redis.status === 'ready') redis.publish(webhookWake, '').catch(() => {});
};
const queues = { connection: queueConnection, prefix: config.queuePrefix };
const plane = createControlPlane(config, {
  hooks: { afterCommit: () => outboxNotifier.notify() },
  emergencyKill: new RedisEmergencyKill(redis, config.redisKeyPrefix),
  revocationNotes: new RedisRevocationNotes(redis, config.redisKeyPrefix),
  rollouts: { policies: new MapPolicyCatalog(loaded.policies), scheduler: new BullTickScheduler(queues) },
  webhooks: { secretKey: secretKey.key, allow: config.webhookAllow, wake: wakeDrainer },
});
try {
  await runMigrations(plane.db);
} catch (error) {
  console.error(
    `controller: cannot prepare the database (${config.databaseUrl ? maskUrl(config.databaseUrl) : config.sqliteFile}): ${(error as Error).message}`,
  );
  process.exit(1);
}
try {
  const sealed = await plane.services.webhooks.sealLegacySecrets();
  if (sealed > 0) console.log(`controller: sealed ${sealed} webhook secret(s) stored in plaintext before this version`);
} catch (error) {
  console.error(`controller: cannot seal stored webhook secrets: ${(error as Error).message}`);
  process.exit(1);
}
let createdToken: string | undefined;
try {
  ({ createdToken } = await plane.services.apiKeys.ensureAdmin(config.adminToken));
} catch (error) {
  console.error(`controller: cannot set up the first admin key: ${(error as Error).message}`);
  process.exit(1);
}
if (createdToken) {
  console.log('controller: created the first admin key. It is shown only this once; keep it:');
  console.log(`\n    ${createdToken}\n`);
}
// Before the API listens: the stack launcher probes /healthz once the "listening on" line prints.
const metricsListener =
  config.metricsPort === 0
    ? undefined
    : await startMetricsListener({ port: config.metricsPort, metrics: plane.httpMetrics }).catch((error: Error) => {
        console.error(
          `controller: cannot listen for metrics on 127.0.0.1:${config.metricsPort}: ${error.message} (set CONTROLLER_METRICS_PORT to a free port, or 0 to turn it off)`,
        );
        process.exit(1);
      });
if (metricsListener)
  console.log(`controller: metrics on ${metricsListener.url}/metrics (and /healthz), 127.0.0.1 only`);
const server = plane.app.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  console.log(
    `controller: listening on http://${config.host}:${port}/api/v1 (store: ${config.databaseUrl ? `MySQL ${maskUrl(config.databaseUrl)}` : `SQLite ${config.sqliteFile}`}, Redis ${describeRedis(config)})`,
  );
});
server.on('error', (error) => {
  console.error(`controller: cannot listen on ${config.host}:${config.port}: ${error.message}`);
  process.exit(1);
});
const stop = () =>
  server.close(
    () =>
      void plane.close().then(() => {
        redis.disconnect();
        queueConnection.disconnect();
        void metricsListener?.close();
        process.exit(0);
      }),
  );
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
