/** Kysely table type and migration 0008-schedules (docs/api.md, "Schedules"). */
import { type Generated, type Kysely, type Migration, sql } from 'kysely';

export interface SchedulesTable {
  id: Generated<number>;
  project_key: string;
  environment_id: string;
  flag_key: string;
  /** ISO-8601 UTC (toISOString): compares as a string, which the due-time index relies on. */
  at: string;
  comment: string;
  /** config | action | rollout */
  kind: string;
  /** JSON of the change (the config and its base version, the action, or the pinned rollout). */
  change: string;
  status: string;
  version: number;
  author_key_id: string;
  author_name: string;
  author_owner: string;
  change_request_id: string | null;
  /** JSON { keyId, name, owner } of the approver; null until approved. */
  approved_by: string | null;
  outcome: string | null;
  applied_version: number | null;
  rollout_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface ScheduleTables {
  schedules: SchedulesTable;
}

const KEY = 'varchar(191)';
const TIME = 'varchar(40)';

/** `doc` is the dialect's unbounded text type (a config can be large). */
export function scheduleMigration(doc: ReturnType<typeof sql>): Migration {
  return {
    async up(k: Kysely<unknown>) {
      await k.schema
        .createTable('schedules')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('project_key', KEY, (c) => c.notNull())
        .addColumn('environment_id', KEY, (c) => c.notNull())
        .addColumn('flag_key', KEY, (c) => c.notNull())
        .addColumn('at', TIME, (c) => c.notNull())
        .addColumn('comment', doc, (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('change', doc, (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('author_key_id', KEY, (c) => c.notNull())
        .addColumn('author_name', 'varchar(255)', (c) => c.notNull())
        .addColumn('author_owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('change_request_id', KEY)
        .addColumn('approved_by', 'text')
        .addColumn('outcome', doc)
        .addColumn('applied_version', 'integer')
        .addColumn('rollout_id', 'integer')
        .addColumn('created_at', TIME, (c) => c.notNull())
        .addColumn('updated_at', TIME, (c) => c.notNull())
        .execute();
      // The reconciler's query (pending by due time) and the list's filters, soonest first.
      await k.schema.createIndex('schedules_status_at_idx').on('schedules').columns(['status', 'at', 'id']).execute();
      await k.schema
        .createIndex('schedules_env_flag_idx')
        .on('schedules')
        .columns(['environment_id', 'flag_key', 'at'])
        .execute();
      await k.schema.createIndex('schedules_cr_idx').on('schedules').columns(['change_request_id']).execute();
    },
  };
}
