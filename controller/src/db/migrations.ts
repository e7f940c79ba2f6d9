/**
 * Schema migrations, run at start. Kysely's migrator records what ran in its own table and takes
 * a lock, so running them again (or from two processes) is a no-op.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { dialectOf } from './create-database.ts';
import { migrateWhileBusy } from './busy-wait.ts';
import { rolloutMigration } from '../rollouts/rollout-tables.ts';
import { webhookMigration } from '../webhooks/webhook-tables.ts';
import { fourEyesMigration } from '../change-requests/four-eyes-migration.ts';
import { auditOwnerMigration } from '../audit/audit-owner-migration.ts';
import { metricMigration } from '../metrics/metric-tables.ts';
import { browserAccessMigration } from '../environments/browser-access-migration.ts';
import { scheduleMigration } from '../schedules/schedule-tables.ts';
import type { Database } from './schema.ts';

// Long enough for keys (max 63) and `project.env` ids; short enough to index on MySQL.
const KEY = 'varchar(191)';
const TIME = 'varchar(40)';

function migrations(db: Kysely<Database>): Record<string, Migration> {
  // JSON documents: TEXT is unbounded on SQLite; MySQL's TEXT stops at 64 KiB.
  const doc = dialectOf(db) === 'mysql' ? sql`longtext` : sql`text`;
  return {
    '0001-initial': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema as it was then, not today's Database type
      async up(k: Kysely<any>) {
        await k.schema
          .createTable('projects')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('key', KEY, (c) => c.notNull().unique())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('description', doc, (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_at', TIME, (c) => c.notNull())
          .addColumn('updated_at', TIME, (c) => c.notNull())
          .execute();
        await k.schema
          .createTable('environments')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('environment_id', KEY, (c) => c.notNull().unique())
          .addColumn('project_key', KEY, (c) => c.notNull())
          .addColumn('key', KEY, (c) => c.notNull())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('require_approval', 'integer', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_at', TIME, (c) => c.notNull())
          .addColumn('updated_at', TIME, (c) => c.notNull())
          .addUniqueConstraint('environments_project_key_uq', ['project_key', 'key'])
          .execute();
        await k.schema
          .createTable('flags')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('project_key', KEY, (c) => c.notNull())
          .addColumn('key', KEY, (c) => c.notNull())
          .addColumn('type', 'varchar(16)', (c) => c.notNull())
          .addColumn('definition', doc, (c) => c.notNull())
          .addColumn('archived', 'integer', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_at', TIME, (c) => c.notNull())
          .addColumn('updated_at', TIME, (c) => c.notNull())
          .addUniqueConstraint('flags_project_key_uq', ['project_key', 'key'])
          .execute();
        await k.schema
          .createTable('flag_configs')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('environment_id', KEY, (c) => c.notNull())
          .addColumn('project_key', KEY, (c) => c.notNull())
          .addColumn('flag_key', KEY, (c) => c.notNull())
          .addColumn('config', doc, (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('updated_at', TIME, (c) => c.notNull())
          .addUniqueConstraint('flag_configs_env_flag_uq', ['environment_id', 'flag_key'])
          .execute();
        await k.schema
          .createTable('segments')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('environment_id', KEY, (c) => c.notNull())
          .addColumn('key', KEY, (c) => c.notNull())
          .addColumn('document', doc, (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_at', TIME, (c) => c.notNull())
          .addColumn('updated_at', TIME, (c) => c.notNull())
          .addUniqueConstraint('segments_env_key_uq', ['environment_id', 'key'])
          .execute();
        await k.schema
          .createTable('api_keys')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('role', 'varchar(16)', (c) => c.notNull())
          .addColumn('environments', doc)
          .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('token_prefix', 'varchar(16)', (c) => c.notNull())
          .addColumn('created_at', TIME, (c) => c.notNull())
          .addColumn('created_by', 'varchar(64)')
          .addColumn('revoked_at', TIME)
          .execute();
        await k.schema
          .createTable('audit_log')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('at', TIME, (c) => c.notNull())
          .addColumn('actor_key_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('actor_name', 'varchar(255)', (c) => c.notNull())
          .addColumn('action', 'varchar(32)', (c) => c.notNull())
          .addColumn('entity_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('entity_key', KEY, (c) => c.notNull())
          .addColumn('project_key', KEY)
          .addColumn('environment_id', KEY)
          .addColumn('flag_key', KEY)
          .addColumn('before_json', doc)
          .addColumn('after_json', doc)
          .addColumn('diff_json', doc, (c) => c.notNull())
          .addColumn('reason', doc)
          .addColumn('request_id', 'varchar(128)')
          .execute();
        await k.schema.createIndex('audit_log_flag_idx').on('audit_log').columns(['flag_key', 'id']).execute();
        await k.schema.createIndex('audit_log_env_idx').on('audit_log').columns(['environment_id', 'id']).execute();
        await k.schema
          .createTable('outbox')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('environment_id', KEY, (c) => c.notNull())
          .addColumn('kind', 'varchar(32)', (c) => c.notNull())
          .addColumn('entity_key', KEY)
          .addColumn('created_at', TIME, (c) => c.notNull())
          .execute();
        await k.schema
          .createTable('change_requests')
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('environment_id', KEY, (c) => c.notNull())
          .addColumn('project_key', KEY, (c) => c.notNull())
          .addColumn('flag_key', KEY, (c) => c.notNull())
          .addColumn('config', doc, (c) => c.notNull())
          .addColumn('base_version', 'integer', (c) => c.notNull())
          .addColumn('comment', doc, (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('author_key_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('author_name', 'varchar(255)', (c) => c.notNull())
          .addColumn('reviews', doc, (c) => c.notNull())
          .addColumn('applied_version', 'integer')
          .addColumn('created_at', TIME, (c) => c.notNull())
          .addColumn('updated_at', TIME, (c) => c.notNull())
          .execute();
        await k.schema
          .createIndex('change_requests_env_idx')
          .on('change_requests')
          .columns(['environment_id', 'id'])
          .execute();
      },
    },
    '0002-rollouts': rolloutMigration(doc),
    '0004-webhook-outbox': webhookMigration(dialectOf(db), doc),
    '0003-four-eyes': fourEyesMigration(doc),
    '0005-audit-owner': auditOwnerMigration,
    '0006-metric-definitions': metricMigration(doc),
    '0007-environment-browser-access': browserAccessMigration,
    '0008-schedules': scheduleMigration(doc),
  };
}

class InlineProvider implements MigrationProvider {
  constructor(private readonly all: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.all;
  }
}

/** Brings the schema up to date; throws (with the failing migration's error) on failure. */
export async function runMigrations(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: new InlineProvider(migrations(db)) });
  const { error, results } = await migrateWhileBusy(migrator);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`, { cause: error });
  }
}
