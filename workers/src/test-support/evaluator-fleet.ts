/**
 * Evaluator processes for the workers' end-to-end tests: colleague-built evaluator server
 * (evaluator/src/server/main.ts) started as real child processes, as the fleet runs, plus the
 * observations a user can make of them (OFREP value, the admin listener's /readyz version, the SSE stream).
 */
import { createKyselyStores, type Database } from '@flagship/controller';
import { hashApiKey } from '@flagship/evaluator/propagation';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { REPO_ROOT } from '../../../scripts/stack/local-stack.ts';
import { freePort } from '../../../scripts/stack/redis-server.ts';
import { type SupervisedChild, Supervisor, waitForHttp } from '../../../scripts/stack/supervisor.ts';
import { T0 } from './fixtures.ts';

export interface Fleet {
  urls: string[];
  /** Each evaluator's admin listener (/metrics, /readyz detail), in the order of `urls`. */
  adminUrls: string[];
  children: SupervisedChild[];
  stop(): Promise<void>;
}

/** Starts `count` evaluator processes (or one per given data dir) and waits for /healthz. */
export async function startEvaluators(o: {
  count: number;
  redisUrl: string;
  prefix: string;
  dataDirs: string[];
  env?: Record<string, string>;
}): Promise<Fleet> {
  const supervisor = new Supervisor({ echo: false });
  const urls: string[] = [];
  const adminUrls: string[] = [];
  const children: SupervisedChild[] = [];
  for (let i = 0; i < o.count; i++) {
    const port = await freePort();
    const adminPort = await freePort();
    urls.push(`http://127.0.0.1:${port}`);
    adminUrls.push(`http://127.0.0.1:${adminPort}`);
    children.push(
      supervisor.start({
        name: `evaluator-${port}`,
        file: 'evaluator/src/server/main.ts',
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          ...o.env,
          EVALUATOR_PORT: String(port),
          EVALUATOR_ADMIN_PORT: String(adminPort),
          REDIS_URL: o.redisUrl,
          REDIS_KEY_PREFIX: o.prefix,
          EVALUATOR_DATA_DIR: o.dataDirs[i],
        },
      }),
    );
  }
  try {
    await Promise.all(urls.map((u, i) => waitForHttp(`${u}/healthz`, 60_000, children[i])));
  } catch (error) {
    await supervisor.stopAll();
    throw error;
  }
  return { urls, adminUrls, children, stop: () => supervisor.stopAll() };
}

/** An SDK key for one environment, inserted the way the controller stores it. */
export async function createSdkKey(db: Kysely<Database>, environmentId: string): Promise<string> {
  const token = `fss_${randomBytes(24).toString('base64url')}`;
  await createKyselyStores(db).apiKeys.insert(
    {
      name: 'test sdk',
      role: 'sdk',
      environments: [environmentId],
      tokenPrefix: token.slice(0, 8),
      owner: 'test',
      createdAt: T0,
      createdBy: null,
    },
    hashApiKey(token),
  );
  return token;
}

export interface Served {
  status: number;
  value?: unknown;
  variant?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}

/** What an evaluator answers over OFREP for one flag. */
export async function evaluate(url: string, sdkKey: string, flag: string): Promise<Served> {
  const r = await fetch(`${url}/ofrep/v1/evaluate/flags/${flag}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: r.status, ...((await r.json()) as object) };
}

/**
 * The snapshot version /readyz reports for an environment (undefined when not loaded). `adminUrl`
 * is the evaluator's admin listener (Fleet.adminUrls, LocalStack.evaluatorAdminUrls): the public
 * port's /readyz names no environment.
 */
export async function readyVersion(
  adminUrl: string,
  environmentId: string,
): Promise<{ version?: number; source?: string; killedFlags?: string[] }> {
  const r = await fetch(`${adminUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
  const body = (await r.json()) as {
    environments: Array<{ environment: string; version?: number; source?: string; killedFlags?: string[] }>;
  };
  const e = body.environments.find((x) => x.environment === environmentId);
  return { version: e?.version, source: e?.source, killedFlags: e?.killedFlags };
}
