/**
 * One factory for both dialects: MySQL/MariaDB through a mysql2 pool when a `mysql://` URL is
 * given, else embedded SQLite through better-sqlite3. Everything above this file is dialect-free
 * except the few places that ask {@link dialectOf}.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  MysqlAdapter,
  MysqlDialect,
  SqliteDialect,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely';
import { createPool } from 'mysql2';
import { SQLITE_BUSY_TIMEOUT_MS } from './busy-wait.ts';
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
  // Another process (the workers' publisher) may hold the write lock briefly. better-sqlite3
  // waits synchronously, on the event loop, so the wait here is short and the rest of a longer
  // one happens asynchronously in the unit of work (busy-wait.ts).
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  sqlite.pragma('synchronous = NORMAL');
  // Kysely's SQLite driver holds this one connection behind a mutex, so transactions are
  // serialized within the process: the conditional UPDATE then decides every race.
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
}

/**
 * Write transactions take the write lock at BEGIN (`BEGIN IMMEDIATE`). With SQLite's default
 * deferred BEGIN a transaction starts as a reader and asks for the lock at its first write; when
 * another connection holds it then, SQLite answers SQLITE_BUSY at once, without waiting (waiting
 * could deadlock two upgrading readers), and the API answered 500 `database is locked`. A BEGIN
 * IMMEDIATE holds no lock yet, so it waits on the busy timeout and may be retried as a whole.
 * Transactions begun with `setAccessMode('read only')` stay deferred: readers never block writers
 * in WAL mode and need no lock.
 */
class ImmediateSqliteDriver extends SqliteDriver implements Driver {
  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings): Promise<void> {
    await connection.executeQuery(
      CompiledQuery.raw(settings?.accessMode === 'read only' ? 'begin deferred' : 'begin immediate'),
    );
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqliteConfig: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(sqliteConfig);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.sqliteConfig);
  }
}

/** Which dialect a Kysely instance (or transaction) talks. */
export function dialectOf(db: Kysely<Database>): Dialect {
  return db.getExecutor().adapter instanceof MysqlAdapter ? 'mysql' : 'sqlite';
}
