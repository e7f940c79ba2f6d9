/** Kysely table types and the migration for rollouts, ticks, events and webhooks. */
import { type Kysely, type Migration, sql, type Generated } from 'kysely';

export interface RolloutsTable {
  id: Generated<number>;
  project_key: string;
  environment_id: string;
  flag_key: string;
  policy_name: string;
  policy: string;
  treatment: string;
  control: string;
  status: string;
  step_index: number;
  step_started_at: string;
  weight_units: number;
  tick_seq: number;
  next_tick_at: string;
  approved_step: number | null;
  counters: string;
  last_reason: string | null;
  version: number;
  created_by: string;
  /** Owner of the key that asked for the current run (start or retry): it cannot approve its gates. */
  requested_by_owner: string;
  created_at: string;
  updated_at: string;
}

export interface RolloutTicksTable {
  id: Generated<number>;
  rollout_id: number;
  seq: number;
  at: string;
  step_index: number;
  weight_units: number;
  decision: string;
  reason: string;
  evidence: string;
  lag_ms: number;
}

export interface RolloutEventsTable {
  id: Generated<number>;
  rollout_id: number;
  at: string;
  kind: string;
  actor: string;
  step_index: number;
  weight_units: number;
  reason: string | null;
}

export interface WebhooksTable {
  id: Generated<number>;
  url: string;
  secret: string;
  events: string;
  created_by: string;
  created_at: string;
}

export interface RolloutTables {
  rollouts: RolloutsTable;
  rollout_ticks: RolloutTicksTable;
  rollout_events: RolloutEventsTable;
  webhooks: WebhooksTable;
}

const KEY = 'varchar(191)';
const TIME = 'varchar(40)';

/** The rollouts migration; `doc` is the dialect's unbounded text type. */
export function rolloutMigration(doc: ReturnType<typeof sql>): Migration {
  return {
    async up(k: Kysely<unknown>) {
      await k.schema
        .createTable('rollouts')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('project_key', KEY, (c) => c.notNull())
        .addColumn('environment_id', KEY, (c) => c.notNull())
        .addColumn('flag_key', KEY, (c) => c.notNull())
        .addColumn('policy_name', KEY, (c) => c.notNull())
        .addColumn('policy', doc, (c) => c.notNull())
        .addColumn('treatment', KEY, (c) => c.notNull())
        .addColumn('control', KEY, (c) => c.notNull())
        .addColumn('status', 'varchar(24)', (c) => c.notNull())
        .addColumn('step_index', 'integer', (c) => c.notNull())
        .addColumn('step_started_at', TIME, (c) => c.notNull())
        .addColumn('weight_units', 'integer', (c) => c.notNull())
        .addColumn('tick_seq', 'integer', (c) => c.notNull())
        .addColumn('next_tick_at', TIME, (c) => c.notNull())
        .addColumn('approved_step', 'integer')
        .addColumn('counters', doc, (c) => c.notNull())
        .addColumn('last_reason', doc)
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', TIME, (c) => c.notNull())
        .addColumn('updated_at', TIME, (c) => c.notNull())
        .execute();
      await k.schema
        .createIndex('rollouts_env_flag_idx')
        .on('rollouts')
        .columns(['environment_id', 'flag_key'])
        .execute();
      await k.schema.createIndex('rollouts_status_idx').on('rollouts').columns(['status', 'id']).execute();
      await k.schema
        .createTable('rollout_ticks')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('rollout_id', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', TIME, (c) => c.notNull())
        .addColumn('step_index', 'integer', (c) => c.notNull())
        .addColumn('weight_units', 'integer', (c) => c.notNull())
        .addColumn('decision', 'varchar(24)', (c) => c.notNull())
        .addColumn('reason', doc, (c) => c.notNull())
        .addColumn('evidence', doc, (c) => c.notNull())
        .addColumn('lag_ms', 'integer', (c) => c.notNull())
        // At most one recorded tick per sequence number, whatever the workers do.
        .addUniqueConstraint('rollout_ticks_seq_uq', ['rollout_id', 'seq'])
        .execute();
      await k.schema
        .createTable('rollout_events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('rollout_id', 'integer', (c) => c.notNull())
        .addColumn('at', TIME, (c) => c.notNull())
        .addColumn('kind', 'varchar(24)', (c) => c.notNull())
        .addColumn('actor', 'varchar(255)', (c) => c.notNull())
        .addColumn('step_index', 'integer', (c) => c.notNull())
        .addColumn('weight_units', 'integer', (c) => c.notNull())
        .addColumn('reason', doc)
        .execute();
      await k.schema
        .createIndex('rollout_events_rollout_idx')
        .on('rollout_events')
        .columns(['rollout_id', 'id'])
        .execute();
      await k.schema
        .createTable('webhooks')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('url', 'varchar(2048)', (c) => c.notNull())
        .addColumn('secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('events', doc, (c) => c.notNull())
        .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', TIME, (c) => c.notNull())
        .execute();
    },
  };
}
