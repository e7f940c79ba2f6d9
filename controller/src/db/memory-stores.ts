import { MemoryApiKeyStore } from '../api-keys/memory-api-key-store.ts';
import { MemoryAuditStore } from '../audit/memory-audit-store.ts';
import { MemoryChangeRequestStore } from '../change-requests/memory-change-request-store.ts';
import { MemoryEnvironmentStore } from '../environments/memory-environment-store.ts';
import { MemoryConfigStore, MemoryFlagStore } from '../flags/memory-flag-store.ts';
import { MemoryMetricStore } from '../metrics/memory-metric-store.ts';
import { MemoryOutboxStore } from '../outbox/memory-outbox-store.ts';
import { MemoryProjectStore } from '../projects/memory-project-store.ts';
import { MemoryRolloutStore } from '../rollouts/memory-rollout-store.ts';
import { MemoryScheduleStore } from '../schedules/memory-schedule-store.ts';
import { MemorySegmentStore } from '../segments/memory-segment-store.ts';
import { MemoryWebhookOutboxStore, MemoryWebhookStore } from '../webhooks/memory-webhook-store.ts';
import type { MemoryDatabase } from './memory-database.ts';
import type { Stores } from './stores.ts';

/**
 * The fakes over one memory database (or a transaction's working copy of it), as
 * createKyselyStores binds the real stores to a database or a transaction. They pass the same
 * contract as the kysely stores (test-support/store-contract.ts); services' unit tests use them through
 * MemoryUnitOfWork.
 */
export function createMemoryStores(db: MemoryDatabase): Stores {
  return {
    projects: new MemoryProjectStore(db),
    environments: new MemoryEnvironmentStore(db),
    flags: new MemoryFlagStore(db),
    configs: new MemoryConfigStore(db),
    segments: new MemorySegmentStore(db),
    apiKeys: new MemoryApiKeyStore(db),
    audit: new MemoryAuditStore(db),
    outbox: new MemoryOutboxStore(db),
    changeRequests: new MemoryChangeRequestStore(db),
    rollouts: new MemoryRolloutStore(db),
    webhooks: new MemoryWebhookStore(db),
    webhookOutbox: new MemoryWebhookOutboxStore(db),
    metrics: new MemoryMetricStore(db),
    schedules: new MemoryScheduleStore(db),
  };
}
