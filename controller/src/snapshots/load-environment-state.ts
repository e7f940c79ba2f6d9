/**
 * What the snapshot publisher (workers/) reads for one environment after draining its outbox
 * rows: the environment's snapshot content and the hashes of its SDK keys. Reads in one
 * transaction so the flags, configs and segments are consistent with each other; on SQLite a
 * read-only (deferred) one, which holds no write lock however many flags it reads.
 */
import type { Segment, Snapshot, SnapshotFlag } from '@flagship/evaluator';
import type { Kysely } from 'kysely';
import { dialectOf } from '../db/create-database.ts';
import { createKyselyStores } from '../db/kysely-stores.ts';
import type { Database } from '../db/schema.ts';
import type { Stores } from '../db/stores.ts';

export interface EnvironmentState {
  snapshot: Omit<Snapshot, 'version' | 'createdAt'>;
  sdkKeyHashes: string[];
}

/** The state from stores already bound to a transaction (or the database). */
export async function readEnvironmentState(s: Stores, environmentId: string): Promise<EnvironmentState | undefined> {
  const env = await s.environments.get(environmentId);
  if (!env) return undefined;
  const flags: Record<string, SnapshotFlag> = {};
  const configs = new Map((await s.configs.listByEnvironment(environmentId)).map((c) => [c.flagKey, c]));
  for (const flag of await s.flags.listAll(env.projectKey)) {
    const c = configs.get(flag.key);
    if (flag.archived || !c) continue;
    flags[flag.key] = { ...flag.definition, ...c.config, version: c.version };
  }
  const segments: Record<string, Segment> = {};
  for (const r of await s.segments.list(environmentId)) segments[r.segment.key] = r.segment;
  return {
    snapshot: { environment: environmentId, flags, segments },
    sdkKeyHashes: await s.apiKeys.activeSdkHashes(environmentId),
  };
}

/** Undefined when the environment does not exist (deleted: the publisher drops its snapshot). */
export async function loadEnvironmentState(
  db: Kysely<Database>,
  environmentId: string,
): Promise<EnvironmentState | undefined> {
  const begin = db.transaction();
  return (dialectOf(db) === 'sqlite' ? begin.setAccessMode('read only') : begin).execute((trx) =>
    readEnvironmentState(createKyselyStores(trx), environmentId),
  );
}
