/**
 * What the snapshot publisher (workers/) reads for one environment after draining its outbox
 * rows: the environment's snapshot content, the hashes of its SDK keys, and its browser-client access. Reads in one
 * transaction so the flags, configs and segments are consistent with each other; on SQLite a
 * read-only (deferred) one, which holds no write lock however many flags it reads.
 *
 * Each flag carries `trackExposures: true` when its evaluations are counted per variant in this
 * environment (exposure-tracking.ts), and no such field otherwise: a snapshot without the field
 * is one that tracks nothing.
 */
import type { Segment, Snapshot, SnapshotFlag } from '@flagship/evaluator';
import type { ClientAccess } from '@flagship/evaluator/propagation';
import type { Kysely } from 'kysely';
import { dialectOf } from '../db/create-database.ts';
import { createKyselyStores } from '../db/kysely-stores.ts';
import type { Database } from '../db/schema.ts';
import type { Stores } from '../db/stores.ts';
import { exposureTrackedFlags } from './exposure-tracking.ts';

export interface EnvironmentState {
  snapshot: Omit<Snapshot, 'version' | 'createdAt'>;
  sdkKeyHashes: string[];
  /**
   * What browser clients need (client keys' hashes, allowed origins, the stream-token secret):
   * the publisher puts it in the envelope beside `sdkKeyHashes`, never in the snapshot SDKs read.
   */
  clients: ClientAccess;
}

/** The state from stores already bound to a transaction (or the database). */
export async function readEnvironmentState(s: Stores, environmentId: string): Promise<EnvironmentState | undefined> {
  const env = await s.environments.get(environmentId);
  if (!env) return undefined;
  const flags: Record<string, SnapshotFlag> = {};
  const configs = new Map((await s.configs.listByEnvironment(environmentId)).map((c) => [c.flagKey, c]));
  const served = (await s.flags.listAll(env.projectKey)).filter((f) => !f.archived && configs.has(f.key));
  const tracked = await exposureTrackedFlags(s, env, served);
  for (const flag of served) {
    const c = configs.get(flag.key)!;
    // The definition's opt-in is one input of the mark, not the mark itself.
    const { trackExposures: _optIn, ...definition } = flag.definition;
    flags[flag.key] = {
      ...definition,
      ...c.config,
      version: c.version,
      ...(tracked.has(flag.key) ? { trackExposures: true } : {}),
    };
  }
  const segments: Record<string, Segment> = {};
  for (const r of await s.segments.list(environmentId)) segments[r.segment.key] = r.segment;
  // An environment without one (inserted around the service) issues no stream tokens.
  const streamSecret = await s.environments.streamSecret(environmentId);
  return {
    snapshot: { environment: environmentId, flags, segments },
    sdkKeyHashes: await s.apiKeys.activeSdkHashes(environmentId),
    clients: {
      keyHashes: await s.apiKeys.activeClientHashes(environmentId),
      allowedOrigins: env.allowedOrigins,
      ...(streamSecret === undefined ? {} : { streamSecret }),
    },
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
