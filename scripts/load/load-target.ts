/**
 * What the load runs against: either URLs given (an SDK key, and for admin writes an admin key),
 * or a private stack started here (scripts/stack/local-stack.ts: controller on SQLite, workers,
 * one evaluator; its own Redis key prefix and data directory, removed at the end). On a stack
 * it starts, the set-up is done through the admin API, as a user would: project `load`,
 * environment `prod`, LOAD_FLAGS boolean flags serving `on`, an SDK key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOAD_ENVIRONMENT, LOAD_FLAGS, LOAD_PROJECT, loadFlagConfig, loadFlagKey } from '../../k6/scenarios.ts';
import { AdminClient } from '../stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../stack/local-stack.ts';

export interface LoadTarget {
  evaluatorUrl: string;
  /** The evaluator's admin listener (/metrics) when the stack is ours. */
  evaluatorAdminUrl: string | undefined;
  apiUrl: string | undefined;
  sdkKey: string | undefined;
  adminToken: string | undefined;
  /** The evaluator's process id when the stack is ours (its RSS is read from /proc). */
  evaluatorPid: number | undefined;
  stop(): Promise<void>;
}

const log = (m: string) => process.stderr.write(`load: ${m}\n`);

/** Starts a private stack with one evaluator and sets the load project up on it. */
export async function startLoadStack(env: Record<string, string> = {}): Promise<LoadTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-load-'));
  const prefix = `fs-load-${randomBytes(4).toString('hex')}:`;
  const adminToken = `fsk_load_${randomBytes(16).toString('hex')}`;
  let stack: LocalStack | undefined;
  const stop = async () => {
    const redisUrl = stack?.redisUrl;
    const privateRedis = stack?.privateRedis !== undefined;
    await stack?.stop();
    if (redisUrl && !privateRedis) await removeKeys(redisUrl, prefix).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    log(`starting a private stack: controller (SQLite), workers, one evaluator (prefix ${prefix})`);
    stack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [0],
      redisUrl: process.env.REDIS_URL,
      keyPrefix: prefix,
      dataDir,
      adminToken,
      supervisor: { echo: false },
      env: { EVALUATOR_SSE_MAX_STREAMS_PER_KEY: '10000', ...env },
    });
    const admin = new AdminClient(stack.apiUrl, adminToken);
    const sdkKey = await setUpLoadProject(admin);
    await waitUntilServed(stack.evaluatorUrls[0]!, sdkKey);
    return {
      evaluatorUrl: stack.evaluatorUrls[0]!,
      evaluatorAdminUrl: stack.evaluatorAdminUrls[0]!,
      apiUrl: stack.apiUrl,
      sdkKey,
      adminToken,
      evaluatorPid: stack.evaluators[0]!.process.pid,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Project, environment, an SDK key, and LOAD_FLAGS flags enabled in it (one flags-as-code import,
 * so a hundred flags cost one transaction): each serves `on` to its targets, a 50/50 split to
 * `plan: pro` and `off` by default, so a bulk request hashes and matches as real traffic does.
 */
export async function setUpLoadProject(admin: AdminClient): Promise<string> {
  const { sdkKey } = await admin.setUpBooleanFlag(LOAD_PROJECT, LOAD_ENVIRONMENT, loadFlagKey(0));
  const flags = Object.fromEntries(
    Array.from({ length: LOAD_FLAGS }, (_, i) => [
      loadFlagKey(i),
      {
        type: 'boolean',
        variants: { on: true, off: false },
        config: loadFlagConfig('off'),
      },
    ]),
  );
  await admin.ok('POST', `/projects/${LOAD_PROJECT}/environments/${LOAD_ENVIRONMENT}/import?dryRun=false`, {
    format: 'flagship/v1',
    environment: `${LOAD_PROJECT}.${LOAD_ENVIRONMENT}`,
    flags,
    segments: {},
  });
  return sdkKey;
}

export const flagPath = (flag: string): string =>
  `/projects/${LOAD_PROJECT}/environments/${LOAD_ENVIRONMENT}/flags/${flag}`;

/** Waits (at most 30 s) until the evaluator's bulk answer holds every load flag. */
export async function waitUntilServed(evaluatorUrl: string, sdkKey: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const r = await fetch(`${evaluatorUrl}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: '{"context":{"targetingKey":"user-0"}}',
    });
    last = `HTTP ${r.status}`;
    if (r.status === 200) {
      const body = (await r.json()) as { flags?: unknown[] };
      if (body.flags?.length === LOAD_FLAGS) return;
      last = `${body.flags?.length ?? 0} of ${LOAD_FLAGS} flags`;
    } else {
      await r.body?.cancel();
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${evaluatorUrl} does not serve the load flags within 30 s (last: ${last})`);
}

async function removeKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    r.disconnect();
  }
}
