/**
 * SQLite's write lock held by another connection (as the workers' publisher holds it): an admin
 * write waits its turn and succeeds, or, past the bound, answers 503 DATABASE_BUSY with
 * Retry-After and writes nothing; the controller keeps answering meanwhile. Real SQLite file,
 * real second connection (docs/operations.md, "A busy embedded database").
 */
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseChecksum } from '../test-support/test-database.ts';
import { runMigrations } from './migrations.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

const WAIT_LIMIT_MS = 600;

describe('writes on a busy SQLite database', () => {
  let t: TestServer;
  let other: BetterSqlite3.Database | undefined;
  const F = '/api/v1/projects/p/environments/dev/flags/f';
  beforeAll(async () => {
    t = await startTestServer('sqlite', { hooks: { busyWaitLimitMs: WAIT_LIMIT_MS } });
    await seedProject(t, 'p', [{ key: 'dev' }]);
    expect((await t.request('POST', '/api/v1/projects/p/flags', { body: booleanFlag('f') })).status).toBe(201);
  });
  afterEach(() => {
    if (other?.inTransaction) other.exec('ROLLBACK');
    other?.close();
    other = undefined;
  });
  afterAll(async () => t?.close());

  /** A second connection to the same file holding the write lock, as another process would. */
  const holdWriteLock = () => {
    other = new BetterSqlite3(t.database.config.sqliteFile);
    other.exec('BEGIN IMMEDIATE');
    other.prepare("UPDATE projects SET name = name WHERE key = 'p'").run();
    return other;
  };
  const version = async () => (await t.request('GET', F)).body.version as number;

  it('a PUT waits while another connection holds the write lock, keeps the API answering, and succeeds once the lock is free', async () => {
    const v = await version();
    const blocker = holdWriteLock();
    const put = t.request('PUT', F, { body: { ...onConfig({ enabled: false }), version: v } });
    // While the write waits, the event loop is free: reads are answered.
    const read = await t.request('GET', '/api/v1/projects/p/flags/f');
    expect(read.status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    blocker.exec('COMMIT');
    const r = await put;
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ enabled: false, version: v + 1 });
  });

  it('a write that cannot get the lock within the bound answers 503 DATABASE_BUSY with Retry-After and writes nothing', async () => {
    const v = await version();
    const before = await databaseChecksum(t.plane.db);
    holdWriteLock();
    const writes = [
      t.request('PUT', F, { body: { ...onConfig({ enabled: true }), version: v } }),
      t.request('POST', '/api/v1/projects/p/flags', { body: booleanFlag('g') }),
    ];
    for (const r of await Promise.all(writes)) {
      expect(r.status, r.text).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.body.error).toMatchObject({ code: 'DATABASE_BUSY', retryAfterSeconds: 1 });
      expect(r.body.error.message).toContain('nothing was written');
    }
    expect(await databaseChecksum(t.plane.db)).toBe(before);
    other!.exec('ROLLBACK');
    // The process kept serving, and the same write succeeds once the lock is free.
    const again = await t.request('PUT', F, { body: { ...onConfig({ enabled: true }), version: v } });
    expect(again.status, again.text).toBe(200);
    expect((await t.request('GET', '/api/v1/projects/p/flags/g')).status).toBe(404);
  });

  it('start-up migrations wait for a write lock another process holds', async () => {
    const fresh = await createTestDatabase('sqlite', { migrate: false });
    const blocker = new BetterSqlite3(fresh.config.sqliteFile);
    try {
      blocker.exec('CREATE TABLE IF NOT EXISTS other_process (x integer)');
      blocker.exec('BEGIN IMMEDIATE');
      blocker.exec('INSERT INTO other_process VALUES (1)');
      const migrating = runMigrations(fresh.db);
      await new Promise((r) => setTimeout(r, 200));
      blocker.exec('COMMIT');
      await migrating;
      expect(await fresh.db.selectFrom('flags').select('key').execute()).toEqual([]);
    } finally {
      blocker.close();
      await fresh.drop();
    }
  });

  it('a consistent read takes no write lock: it is answered while another connection writes', async () => {
    holdWriteLock();
    const r = await t.request('POST', '/api/v1/projects/p/environments/dev/flags/f/preview', {
      body: { context: { targetingKey: 'u1' } },
    });
    expect(r.status, r.text).toBe(200);
  });
});
