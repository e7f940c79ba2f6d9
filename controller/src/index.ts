/**
 * `@flagship/controller`: what other workspaces (workers/, root tooling) import from the control
 * plane, and nothing else. Each line says why it is public. Tests reach the test helpers through
 * `@flagship/controller/testing` (test-support/index.ts) instead.
 */

// Database: the workers open the controller's database (same file or server) and migrate it.
export { createDatabase, dialectOf, runMigrations, type Database } from './db/index.ts';
// The workers' config.ts refuses a bad DATABASE_URL with the controller's own message.
export { databaseUrlProblem } from './db/database-url.ts';
// Stores bound to a database or a transaction (the outbox among them): the publisher and test fixtures use them.
export { createKyselyStores } from './db/kysely-stores.ts';
export type { Stores } from './db/stores.ts';
export type { OutboxKind } from './outbox/outbox-store.ts';
// The unit of work and its one retry (SQLite busy wait, MySQL deadlock): every write of the workers goes through it.
export { KyselyUnitOfWork, retryTransaction, type UnitOfWork } from './db/unit-of-work.ts';
// What one environment's snapshot is built from (the publisher's read model).
export {
  type EnvironmentChanges,
  readEnvironmentChanges,
  readEnvironmentState,
  type EnvironmentState,
} from './snapshots/load-environment-state.ts';

// Propagation: the snapshot version counter, kept in the database (the publisher takes versions from it).
export {
  currentSnapshotVersion,
  nextSnapshotVersion,
  propagationDb,
  raiseSnapshotVersion,
  runPropagationMigrations,
} from './propagation/published-versions.ts';
// The kill switch around a database outage: the controller writes kills to Redis, the workers' reconciler writes them back.
export {
  isDatabaseUnavailable,
  killWithRedisFallback,
  parsePendingKill,
  RedisEmergencyKill,
  type PendingKill,
} from './propagation/emergency-kill.ts';
export { pendingKillAuditRequestId, writePendingKill } from './propagation/pending-kill-writer.ts';

// Composition root: the workers run the same services as the admin API, so a ramp step is written like a human change.
export { createControlPlaneOn } from './app.ts';
// Who made a change, for services called outside an HTTP request (tests, benches).
export type { RequestContext } from './http/request-context.ts';
// Revoked keys noted in Redis, shared by every controller process (tests wire a second process with it).
export { RedisRevocationNotes } from './auth/verified-key-cache.ts';

// Rollouts: the tick queue and its workers, the analysis decision and what it queries.
export {
  BullDeliveryQueue,
  BullTickScheduler,
  TICK_QUEUE,
  WEBHOOK_QUEUE,
  type TickJob,
} from './rollouts/bullmq-queues.ts';
export { MapPolicyCatalog } from './rollouts/policy-catalog.ts';
export type { RolloutService } from './rollouts/rollout-service.ts';
// What a tick came to ('applied' or 'stale'): the workers' tick processor reports it as is.
export type { TickOutcome } from './rollouts/rollout-service.ts';
export { TICKING_STATUSES } from './rollouts/rollout-record.ts';
export {
  analysisWindowMs,
  decideTick,
  EMPTY_COUNTERS,
  plannedQueries,
  queryId,
  type QueryEvidence,
} from './rollouts/analysis/decide.ts';
export { queryPrometheus } from './rollouts/analysis/prometheus-client.ts';
export { promDuration, renderQuery } from './rollouts/policy/policy.ts';
export { validatePolicy } from './rollouts/policy/policy-schema.ts';

// Schedules: the workers run each due schedule's job and re-arm pending ones (the service applies them).
export {
  BullScheduleTrigger,
  SCHEDULE_QUEUE,
  scheduleJobId,
  type ScheduleJob,
} from './schedules/bullmq-schedule-trigger.ts';
export type { ExecuteOutcome, ScheduleService } from './schedules/schedule-service.ts';

// Webhooks: the workers deliver what the controller's webhook service queued, to addresses it allows.
export type { DeliveryQueue, WebhookDelivery, WebhookService } from './webhooks/webhook-service.ts';
export { refusedAddress, WebhookAllowList } from './webhooks/webhook-address.ts';
export { signWebhook, verifyWebhook } from './webhooks/sign-webhook.ts';
export { parseSecretKey } from './webhooks/secret-box.ts';
export { resolveWebhookSecretKey } from './webhooks/webhook-secret-key.ts';
