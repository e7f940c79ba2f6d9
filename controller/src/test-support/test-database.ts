/**
 * A private database per test file: a fresh MariaDB database `fs_<random>` on 127.0.0.1:3306,
 * or a SQLite file in a temp folder. `drop()` removes it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { createDatabase, type DatabaseConfig, type Dialect } from '../db/create-database.ts';
import { runMigrations } from '../db/migrations.ts';
import type { Database } from '../db/schema.ts';

export const DIALECTS: readonly Dialect[] = ['sqlite', 'mysql'];

const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root' };

export interface TestDatabase {
  dialect: Dialect;
  config: DatabaseConfig;
  db: Kysely<Database>;
  drop(): Promise<void>;
}

export async function createTestDatabase(dialect: Dialect, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let config: DatabaseConfig;
  let cleanup: () => Promise<void>;
  if (dialect === 'mysql') {
    const name = `fs_${randomBytes(6).toString('hex')}`;
    const admin = await createConnection(MYSQL);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.end();
    config = { databaseUrl: `mysql://root@127.0.0.1:3306/${name}`, sqliteFile: '', poolSize: 10 };
    cleanup = async () => {
      const c = await createConnection(MYSQL);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'fs-ctl-'));
    config = { sqliteFile: join(dir, 'controller.sqlite') };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const db = createDatabase(config);
  if (options.migrate !== false) await runMigrations(db);
  let dropped = false;
  return {
    dialect,
    config,
    db,
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.destroy().catch(() => {});
      await cleanup();
    },
  };
}

/**
 * A digest of every row of every table (except the migrator's), in a stable order: equal digests
 * mean the database did not change.
 */
export async function databaseChecksum(db: Kysely<Database>): Promise<string> {
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  const tables = [
    'projects',
    'environments',
    'flags',
    'flag_configs',
    'segments',
    'api_keys',
    'audit_log',
    'outbox',
    'change_requests',
    'metric_definitions',
  ] as const;
  for (const t of tables) {
    const rows = await db.selectFrom(t).selectAll().orderBy('id').execute();
    h.update(`${t}:${JSON.stringify(rows)}\n`);
  }
  return h.digest('hex');
}

/**
 * A cheap fingerprint of the whole database (one query): row counts, highest ids, version sums
 * and latest update times per table. Any insert, delete or versioned update moves it.
 */
export async function databaseFingerprint(db: Kysely<Database>): Promise<string> {
  const { sql } = await import('kysely');
  const parts = [
    sql`(select count(*) from projects)`,
    sql`(select coalesce(sum(version),0) from projects)`,
    sql`(select count(*) from environments)`,
    sql`(select coalesce(sum(version),0) from environments)`,
    sql`(select count(*) from flags)`,
    sql`(select coalesce(sum(version),0) from flags)`,
    sql`(select coalesce(sum(archived),0) from flags)`,
    sql`(select count(*) from flag_configs)`,
    sql`(select coalesce(sum(version),0) from flag_configs)`,
    sql`(select count(*) from segments)`,
    sql`(select coalesce(sum(version),0) from segments)`,
    sql`(select count(*) from api_keys)`,
    sql`(select count(revoked_at) from api_keys)`,
    sql`(select count(*) from audit_log)`,
    sql`(select coalesce(max(id),0) from audit_log)`,
    sql`(select count(*) from outbox)`,
    sql`(select coalesce(max(id),0) from outbox)`,
    sql`(select count(*) from change_requests)`,
    sql`(select max(updated_at) from change_requests)`,
    sql`(select count(*) from metric_definitions)`,
    sql`(select coalesce(sum(version),0) from metric_definitions)`,
  ];
  const row = await sql<
    Record<string, unknown>
  >`select ${sql.join(parts.map((p, i) => sql`${p} as ${sql.ref(`c${i}`)}`))}`.execute(db);
  return JSON.stringify(Object.values(row.rows[0] ?? {}).map((v) => (v === null ? null : String(v))));
}
