/**
 * The control plane's tables, as Kysely sees them. JSON documents live in TEXT (SQLite) /
 * LONGTEXT (MySQL) columns as strings; times are ISO-8601 strings, which sort correctly as text
 * on both dialects.
 */
import type { Generated } from 'kysely';

export interface ProjectsTable {
  id: Generated<number>;
  key: string;
  name: string;
  description: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface EnvironmentsTable {
  id: Generated<number>;
  /** `${project_key}.${key}`: the global id used in snapshots, SDK keys and the outbox. */
  environment_id: string;
  project_key: string;
  key: string;
  name: string;
  /** 0 or 1: changes to flag configs must go through change requests. */
  require_approval: number;
  version: number;
  created_at: string;
  updated_at: string;
  /** JSON array of the exact origins browsers may call OFREP from; null = none (0007). */
  allowed_origins: string | null;
  /** Signs the environment's stream tokens; never in an API answer or the audit log (0007). */
  stream_secret: string | null;
}

export interface FlagsTable {
  id: Generated<number>;
  project_key: string;
  key: string;
  type: string;
  /** JSON of the Flag definition (key, type, variants, salt, description, tags). */
  definition: string;
  archived: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface FlagConfigsTable {
  id: Generated<number>;
  environment_id: string;
  project_key: string;
  flag_key: string;
  /** JSON of the FlagConfig. */
  config: string;
  version: number;
  updated_at: string;
}

export interface SegmentsTable {
  id: Generated<number>;
  environment_id: string;
  key: string;
  /** JSON of the Segment (without version, which is the column). */
  document: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  role: string;
  /** JSON array of environment ids, or null for every environment. */
  environments: string | null;
  token_hash: string;
  /** The first characters of the token, so a human can tell keys apart. */
  token_prefix: string;
  /** The person the key belongs to (name or email): self-approval compares owners. */
  owner: string;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor_key_id: string;
  actor_name: string;
  /** The key's owner when the row was written (migration 0005); null for older rows. */
  actor_owner: string | null;
  action: string;
  entity_type: string;
  entity_key: string;
  project_key: string | null;
  environment_id: string | null;
  flag_key: string | null;
  before_json: string | null;
  after_json: string | null;
  diff_json: string;
  reason: string | null;
  request_id: string | null;
}

export interface OutboxTable {
  id: Generated<number>;
  environment_id: string;
  kind: string;
  entity_key: string | null;
  created_at: string;
}

export interface ChangeRequestsTable {
  id: Generated<number>;
  environment_id: string;
  project_key: string;
  flag_key: string;
  /** JSON of the proposed FlagConfig. */
  config: string;
  base_version: number;
  comment: string;
  status: string;
  author_key_id: string;
  author_name: string;
  /** The author key's owner at filing: the person who asked. */
  author_owner: string;
  /** config | definition | archive | unarchive | rollout-start | rollout-retry | segment */
  kind: string;
  /** JSON of the kind's own fields; null for a config change (its config is in `config`). */
  payload: string | null;
  /** JSON array of { keyId, name, at, comment }. */
  reviews: string;
  applied_version: number | null;
  created_at: string;
  updated_at: string;
}

import type { MetricTables } from '../metrics/metric-tables.ts';
import type { RolloutTables } from '../rollouts/rollout-tables.ts';
import type { ScheduleTables } from '../schedules/schedule-tables.ts';
import type { WebhookTables } from '../webhooks/webhook-tables.ts';

/** Every table; the rollout, webhook, metric and schedule tables are declared beside their feature. */
export interface Database extends RolloutTables, WebhookTables, MetricTables, ScheduleTables {
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  flags: FlagsTable;
  flag_configs: FlagConfigsTable;
  segments: SegmentsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  outbox: OutboxTable;
  change_requests: ChangeRequestsTable;
}
