/**
 * The snapshot tests' shared setup: per test a Redis fixture (its own key prefix) and a temp data
 * folder, and `start()` for evaluator servers on them with short timeouts, all closed and removed
 * after each test. Registers vitest hooks: call it once at the top of a test file.
 */
import { afterEach, beforeEach } from 'vitest';
import type { EvaluatorConfig } from '../config.ts';
import { createEvaluatorServer, type EvaluatorServer } from '../evaluator-server.ts';
import { silentLogger } from '../logger.ts';
import { redisFixture, tempDataDir, type RedisFixture } from '../test-support.ts';

export interface ServerTestBed {
  /** This test's Redis fixture. */
  readonly fx: RedisFixture;
  /** This test's last-known-good folder. */
  readonly dataDir: string;
  /** Starts an evaluator on them (closed after the test); `overrides` replace the test defaults. */
  start(overrides?: Partial<EvaluatorConfig>): Promise<EvaluatorServer>;
  /** Closes one server before the test ends (a restart). */
  close(server: EvaluatorServer): Promise<void>;
}

export function useServerTestBed(): ServerTestBed {
  let fx: RedisFixture | undefined;
  let data: { dir: string; remove(): Promise<void> } | undefined;
  const servers: EvaluatorServer[] = [];
  beforeEach(async () => {
    fx = await redisFixture();
    data = await tempDataDir();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    await fx?.cleanup();
    await data?.remove();
  });
  return {
    get fx() {
      return fx!;
    },
    get dataDir() {
      return data!.dir;
    },
    async start(overrides = {}) {
      const server = createEvaluatorServer(
        {
          port: 0,
          keyPrefix: fx!.prefix,
          dataDir: data!.dir,
          redisConnectTimeoutMs: 1500,
          versionCheckMs: 60_000,
          reconnectBaseMs: 20,
          reconnectMaxMs: 200,
          ...overrides,
        },
        { logger: silentLogger },
      );
      servers.push(server);
      await server.start();
      return server;
    },
    async close(server) {
      servers.splice(servers.indexOf(server), 1);
      await server.close();
    },
  };
}
