/**
 * Test data and Redis isolation for the workers' integration tests: a unique key prefix per test
 * (every key removed afterwards), and controller data written the way the controller writes it
 * (config update + outbox row in one transaction).
 */
import { createKyselyStores, type Database } from '@flagship/controller';
import type { Flag, FlagConfig } from '@flagship/evaluator';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';

export const T0 = '2025-01-01T00:00:00.000Z';
export const REDIS_URL = 'redis://127.0.0.1:6379';

export function uniquePrefix(): string {
  return `fs-test-${randomBytes(5).toString('hex')}:`;
}

/** A client on the shared Redis; `cleanup` deletes every key under the prefix and quits. */
export function testRedis(
  prefix: string,
  url = REDIS_URL,
  options: { subscriber?: boolean } = {},
): { redis: Redis; cleanup(): Promise<void> } {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  return {
    redis,
    async cleanup() {
      if (redis.status === 'connecting' || redis.status === 'wait') {
        await Promise.race([new Promise((r) => redis.once('ready', r)), new Promise((r) => setTimeout(r, 2_000))]);
      }
      if (redis.status === 'ready' && !options.subscriber) {
        let cursor = '0';
        for (let i = 0; i < 1_000; i++) {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
          if (cursor === '0') break;
        }
      }
      redis.disconnect();
    },
  };
}

export const booleanFlag = (key: string): Flag => ({
  key,
  type: 'boolean',
  variants: { on: true, off: false },
  salt: '0123456789abcdef0123456789abcdef',
});
export const stringFlag = (key: string): Flag => ({
  key,
  type: 'string',
  variants: { a: 'a', b: 'b' },
  salt: 'fedcba9876543210fedcba9876543210',
});

export const onConfig = (variant = 'on', offVariant = 'off'): FlagConfig => ({
  enabled: true,
  offVariant,
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant },
});

/** A project with environments and flags (every flag enabled, serving its first variant). */
export async function seed(
  db: Kysely<Database>,
  o: { project?: string; envs?: string[]; flags?: Flag[] } = {},
): Promise<string[]> {
  const project = o.project ?? 'p';
  const s = createKyselyStores(db);
  await s.projects.insert({ key: project, name: project, description: '', version: 1, createdAt: T0, updatedAt: T0 });
  const ids: string[] = [];
  for (const key of o.envs ?? ['prod']) {
    const id = `${project}.${key}`;
    ids.push(id);
    await s.environments.insert({
      id,
      projectKey: project,
      key,
      name: key,
      requireApproval: false,
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
  }
  for (const flag of o.flags ?? [booleanFlag('a')]) {
    await s.flags.insert({
      projectKey: project,
      key: flag.key,
      definition: flag,
      archived: false,
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
    const first = Object.keys(flag.variants)[0]!;
    const last = Object.keys(flag.variants).at(-1)!;
    for (const id of ids) {
      await s.configs.insert({
        environmentId: id,
        projectKey: project,
        flagKey: flag.key,
        config: onConfig(first, last),
        version: 1,
        updatedAt: T0,
      });
    }
  }
  return ids;
}

/**
 * What the controller does for a flag config change: a conditional update and an outbox row in
 * one transaction. Returns the config's new version.
 */
export async function changeConfig(
  db: Kysely<Database>,
  environmentId: string,
  flagKey: string,
  change: (c: FlagConfig) => FlagConfig,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const s = createKyselyStores(trx);
    const current = await s.configs.getForUpdate(environmentId, flagKey);
    if (!current) throw new Error(`no config ${environmentId}/${flagKey}`);
    if (!(await s.configs.update(environmentId, flagKey, current.version, change(current.config), T0)))
      throw new Error('lost a race');
    await s.outbox.append(environmentId, 'flag-config', flagKey, T0);
    return current.version + 1;
  });
}

export async function outboxCount(db: Kysely<Database>): Promise<number> {
  const r = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Polls `check` every 10 ms until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
  what = 'condition',
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
