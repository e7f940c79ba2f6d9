/** Every store, bound to one executor (the database or a transaction). */
import type { ApiKeyStore } from '../api-keys/api-key-store.ts';
import type { AuditStore } from '../audit/audit-store.ts';
import type { ChangeRequestStore } from '../change-requests/change-request-store.ts';
import type { EnvironmentStore } from '../environments/environment-store.ts';
import type { ConfigStore, FlagStore } from '../flags/flag-store.ts';
import type { MetricStore } from '../metrics/metric-store.ts';
import type { OutboxStore } from '../outbox/outbox-store.ts';
import type { ProjectStore } from '../projects/project-store.ts';
import type { RolloutStore } from '../rollouts/rollout-store.ts';
import type { ScheduleStore } from '../schedules/schedule-store.ts';
import type { SegmentStore } from '../segments/segment-store.ts';
import type { WebhookOutboxStore, WebhookStore } from '../webhooks/webhook-store.ts';

export interface Stores {
  projects: ProjectStore;
  environments: EnvironmentStore;
  flags: FlagStore;
  configs: ConfigStore;
  segments: SegmentStore;
  apiKeys: ApiKeyStore;
  audit: AuditStore;
  outbox: OutboxStore;
  changeRequests: ChangeRequestStore;
  rollouts: RolloutStore;
  webhooks: WebhookStore;
  webhookOutbox: WebhookOutboxStore;
  metrics: MetricStore;
  schedules: ScheduleStore;
}
