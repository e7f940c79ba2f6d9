/**
 * A second connection to a test's SQLite file, standing for another process (the controller
 * beside the workers, or the reverse): tests hold the write lock with it (`BEGIN IMMEDIATE`) to
 * show what a busy database does. better-sqlite3 is the controller's dependency; other
 * workspaces' tests get it here rather than declaring it themselves.
 */
import BetterSqlite3 from 'better-sqlite3';

export type SqliteConnection = BetterSqlite3.Database;

/** Opens `file`; `timeout: 0` makes it never wait for a lock another connection holds. */
export function openSqliteConnection(file: string, options: { timeout?: number } = {}): SqliteConnection {
  return new BetterSqlite3(file, options);
}
