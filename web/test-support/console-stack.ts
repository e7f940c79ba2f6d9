/**
 * The real stack for browser tests: controller (embedded SQLite, or a fresh MariaDB database),
 * workers, one evaluator, and the console built and served by web/scripts/console-main.ts. One
 * build is shared by all test files; a lock folder makes parallel files wait for it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { AdminClient } from '../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../scripts/stack/local-stack.ts';
import { buildConsole, buildNeeded, WEB_DIR } from '../scripts/console-build.ts';

export interface ConsoleStack {
  stack: LocalStack;
  /** The console's base URL, e.g. http://127.0.0.1:41234 */
  consoleUrl: string;
  adminToken: string;
  admin: AdminClient;
  /** The stack's data folder (the controller's SQLite file is `controller.sqlite` in it). */
  dataDir: string;
  /** Mints a key for another person (`owner`) and returns its token. */
  mintKey(o: { name: string; owner: string; role: string; environments?: string[] | null }): Promise<string>;
  stop(): Promise<void>;
}

/** Builds the console once for every test file of a run (the first waits, the others find it built). */
export async function ensureConsoleBuilt(): Promise<void> {
  // One lock per build folder: parallel sessions with their own CONSOLE_DIST_DIR do not wait on each other.
  const LOCK = join(WEB_DIR, `${process.env.CONSOLE_DIST_DIR || '.next'}-build-lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (!buildNeeded()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      // Another file is building; a lock older than 5 minutes is a crashed build's.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 300_000) rmSync(LOCK, { recursive: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another console build');
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    try {
      if (buildNeeded()) await buildConsole();
      return;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

export async function startConsoleStack(o: { database?: 'sqlite' | 'mysql' } = {}): Promise<ConsoleStack> {
  await ensureConsoleBuilt();
  const adminToken = `fsk_test_${randomBytes(24).toString('base64url')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-console-'));
  let dropDb = async () => {};
  let databaseUrl: string | undefined;
  if (o.database === 'mysql') {
    const name = `fs_${randomBytes(6).toString('hex')}`;
    const c = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await c.end();
    databaseUrl = `mysql://root@127.0.0.1:3306/${name}`;
    dropDb = async () => {
      const d = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    };
  }
  const stack = await startLocalStack({
    controllerPort: 0,
    evaluatorPorts: [0],
    dataDir,
    adminToken,
    databaseUrl,
    keyPrefix: `fsc${randomBytes(3).toString('hex')}:`,
    consolePort: 0,
    supervisor: { echo: process.env.CONSOLE_TEST_ECHO === '1' },
  });
  const admin = new AdminClient(stack.apiUrl, adminToken);
  return {
    stack,
    dataDir,
    consoleUrl: stack.consoleUrl!,
    adminToken,
    admin,
    async mintKey(k) {
      const r = await admin.ok<{ token: string }>('POST', '/api-keys', {
        name: k.name,
        owner: k.owner,
        role: k.role,
        environments: k.environments ?? null,
      });
      return r.token;
    },
    async stop() {
      await stack.stop();
      await dropDb().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
