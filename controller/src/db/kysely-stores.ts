import type { Kysely } from 'kysely';
import { KyselyApiKeyStore } from '../api-keys/kysely-api-key-store.ts';
import { KyselyAuditStore } from '../audit/kysely-audit-store.ts';
import { KyselyChangeRequestStore } from '../change-requests/kysely-change-request-store.ts';
import { KyselyEnvironmentStore } from '../environments/kysely-environment-store.ts';
import { KyselyConfigStore, KyselyFlagStore } from '../flags/kysely-flag-store.ts';
import { KyselyMetricStore } from '../metrics/kysely-metric-store.ts';
import { KyselyOutboxStore } from '../outbox/kysely-outbox-store.ts';
import { KyselyProjectStore } from '../projects/kysely-project-store.ts';
import { KyselyRolloutStore } from '../rollouts/kysely-rollout-store.ts';
import { KyselyScheduleStore } from '../schedules/kysely-schedule-store.ts';
import { KyselySegmentStore } from '../segments/kysely-segment-store.ts';
import { KyselyWebhookOutboxStore, KyselyWebhookStore } from '../webhooks/kysely-webhook-store.ts';
import type { Database } from './schema.ts';
import type { Stores } from './stores.ts';

/** The real stores over one executor; a Transaction is a Kysely, so this binds to either. */
export function createKyselyStores(db: Kysely<Database>): Stores {
  return {
    projects: new KyselyProjectStore(db),
    environments: new KyselyEnvironmentStore(db),
    flags: new KyselyFlagStore(db),
    configs: new KyselyConfigStore(db),
    segments: new KyselySegmentStore(db),
    apiKeys: new KyselyApiKeyStore(db),
    audit: new KyselyAuditStore(db),
    outbox: new KyselyOutboxStore(db),
    changeRequests: new KyselyChangeRequestStore(db),
    rollouts: new KyselyRolloutStore(db),
    webhooks: new KyselyWebhookStore(db),
    webhookOutbox: new KyselyWebhookOutboxStore(db),
    metrics: new KyselyMetricStore(db),
    schedules: new KyselyScheduleStore(db),
  };
}
