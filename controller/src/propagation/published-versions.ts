/**
 * The authoritative published snapshot version of each environment, kept in the controller's
 * database rather than in Redis: Redis may restart empty (the local stack runs it without
 * persistence), and a version counter that restarts at 1 would be refused by every evaluator
 * still holding version 500. The counter lives in its own table with its own Kysely migration
 * history (`propagation_migration`), so it needs no registration in the controller's migrations.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, type Transaction } from 'kysely';
import { migrateWhileBusy } from '../db/busy-wait.ts';
import type { Database } from '../db/schema.ts';

export interface SnapshotVersionsTable {
  environment_id: string;
  version: number;
  updated_at: string;
}

/** The controller's tables plus the propagation table. */
export type PropagationDatabase = Database & { snapshot_versions: SnapshotVersionsTable };

const MIGRATIONS: Record<string, Migration> = {
  '0001-snapshot-versions': {
    async up(k: Kysely<unknown>) {
      await k.schema
        .createTable('snapshot_versions')
        .addColumn('environment_id', 'varchar(191)', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .execute();
    },
  },
};

class InlineProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Views the controller's database with the propagation table typed. */
export function propagationDb(db: Kysely<Database>): Kysely<PropagationDatabase> {
  return db.withTables<{ snapshot_versions: SnapshotVersionsTable }>();
}

/** Creates the propagation table; idempotent and safe from several processes (Kysely's lock). */
export async function runPropagationMigrations(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new InlineProvider(),
    migrationTableName: 'propagation_migration',
    migrationLockTableName: 'propagation_migration_lock',
  });
  const { error, results } = await migrateWhileBusy(migrator);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`propagation migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`, { cause: error });
  }
}

/**
 * Takes the next version of an environment inside the caller's transaction. The UPDATE holds the
 * row lock (MySQL) or the database write lock (SQLite) until commit, so two publishers of one
 * environment are serialized. On MySQL a publisher that reads the environment's state after this
 * call in the same transaction reads state at least as new as every lower version's; on SQLite
 * the lock covers the whole file, so the publisher commits right after this call and reads the
 * state afterwards (workers/src/publisher/snapshot-publisher.ts says what that keeps).
 */
export async function nextSnapshotVersion(
  trx: Transaction<PropagationDatabase>,
  environmentId: string,
  now: string,
): Promise<number> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const updated = await trx
      .updateTable('snapshot_versions')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      try {
        await trx
          .insertInto('snapshot_versions')
          .values({ environment_id: environmentId, version: 1, updated_at: now })
          .execute();
        return 1;
      } catch (error) {
        // Another publisher inserted the row first: its lock is ours after its commit; update again.
        const code = (error as { code?: unknown } | null)?.code;
        if (code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE')
          continue;
        throw error;
      }
    }
    const row = await trx
      .selectFrom('snapshot_versions')
      .select('version')
      .where('environment_id', '=', environmentId)
      .executeTakeFirstOrThrow();
    return Number(row.version);
  }
  throw new Error(`could not take the next snapshot version of ${environmentId}`);
}

/** The last version taken for an environment (0 when none). */
export async function currentSnapshotVersion(db: Kysely<PropagationDatabase>, environmentId: string): Promise<number> {
  const row = await db
    .selectFrom('snapshot_versions')
    .select('version')
    .where('environment_id', '=', environmentId)
    .executeTakeFirst();
  return row ? Number(row.version) : 0;
}

/**
 * Raises an environment's counter to at least `atLeast` (never lowers it). For a Redis that holds
 * a newer version than this database ever issued: snapshots from an earlier database (a reset
 * data folder, a restored backup) that no publish of this one could supersede.
 */
export async function raiseSnapshotVersion(
  db: Kysely<PropagationDatabase>,
  environmentId: string,
  atLeast: number,
  now: string,
): Promise<void> {
  await db
    .updateTable('snapshot_versions')
    .set({ version: atLeast, updated_at: now })
    .where('environment_id', '=', environmentId)
    .where('version', '<', atLeast)
    .execute();
}
