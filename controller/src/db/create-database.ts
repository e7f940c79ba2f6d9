/**
 * One factory for both dialects: MySQL/MariaDB through a mysql2 pool when a `mysql://` URL is
 * given, else embedded SQLite through better-sqlite3. Everything above this file is dialect-free
 * except the few places that ask {@link dialectOf}.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, MysqlAdapter, MysqlDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import type { Database } from './schema.ts';

export interface DatabaseConfig {
  /** `mysql://user:pass@host:port/db`; when absent, SQLite at `sqliteFile`. */
  databaseUrl?: string | undefined;
  /** Path of the SQLite file (`:memory:` works for throwaway use). */
  sqliteFile: string;
  /** MySQL pool size. */
  poolSize?: number;
}

export type Dialect = 'mysql' | 'sqlite';

/** Creates the Kysely instance. Call `db.destroy()` to close it. */
export function createDatabase(config: DatabaseConfig): Kysely<Database> {
  if (config.databaseUrl) {
    const pool = createPool({
      uri: config.databaseUrl,
      connectionLimit: config.poolSize ?? 10,
      // Times and JSON are strings in our schema; keep numbers as numbers.
      supportBigNumbers: true,
      bigNumberStrings: false,
      charset: 'utf8mb4',
    });
    return new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  }
  if (config.sqliteFile !== ':memory:') mkdirSync(dirname(config.sqliteFile), { recursive: true });
  const sqlite = new BetterSqlite3(config.sqliteFile);
  sqlite.pragma('journal_mode = WAL');
  // Another process (a worker draining the outbox) may hold the write lock briefly.
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  // Kysely's SQLite driver holds this one connection behind a mutex, so transactions are
  // serialized within the process: the conditional UPDATE then decides every race.
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

/** Which dialect a Kysely instance (or transaction) talks. */
export function dialectOf(db: Kysely<Database>): Dialect {
  return db.getExecutor().adapter instanceof MysqlAdapter ? 'mysql' : 'sqlite';
}
