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
import type { EnvironmentRecord } from '../environments/environment-store.ts';
import type { ConfigRecord, FlagRecord } from '../flags/flag-store.ts';
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
  const configs = new Map((await s.configs.listByEnvironment(environmentId)).map((c) => [c.flagKey, c]));
  const served = (await s.flags.listAll(env.projectKey)).filter((f) => !f.archived && configs.has(f.key));
  const tracked = await exposureTrackedFlags(s, env, served);
  const flags: Record<string, SnapshotFlag> = {};
  for (const flag of served) flags[flag.key] = snapshotFlag(flag, configs.get(flag.key)!, tracked);
  const segments: Record<string, Segment> = {};
  for (const r of await s.segments.list(environmentId)) segments[r.segment.key] = r.segment;
  return {
    snapshot: { environment: environmentId, flags, segments },
    ...(await readAccess(s, env)),
  };
}

/** What changed, read for a delta: each touched flag and segment whole, or null when it is no longer served. */
export interface EnvironmentChanges {
  flags: Record<string, SnapshotFlag | null>;
  segments: Record<string, Segment | null>;
  /** Read when keys or browser access were touched: the whole new lists. */
  access?: Pick<EnvironmentState, 'sdkKeyHashes' | 'clients'>;
}

/**
 * Only what the outbox rows name (the publisher's delta, docs/architecture.md "Deltas"): the
 * cost follows the change, not the environment's size. Undefined when the environment is gone.
 */
export async function readEnvironmentChanges(
  s: Stores,
  environmentId: string,
  touched: { flags: readonly string[]; segments: readonly string[]; access: boolean },
): Promise<EnvironmentChanges | undefined> {
  const env = await s.environments.get(environmentId);
  if (!env) return undefined;
  const flags: Record<string, SnapshotFlag | null> = {};
  const records: FlagRecord[] = [];
  const configs = new Map<string, ConfigRecord>();
  for (const key of touched.flags) {
    const [flag, config] = await Promise.all([s.flags.get(env.projectKey, key), s.configs.get(environmentId, key)]);
    if (flag === undefined || flag.archived || config === undefined) flags[key] = null;
    else {
      records.push(flag);
      configs.set(key, config);
    }
  }
  const tracked = records.length === 0 ? new Set<string>() : await exposureTrackedFlags(s, env, records);
  for (const flag of records) flags[flag.key] = snapshotFlag(flag, configs.get(flag.key)!, tracked);
  const segments: Record<string, Segment | null> = {};
  for (const key of touched.segments) segments[key] = (await s.segments.get(environmentId, key))?.segment ?? null;
  return { flags, segments, ...(touched.access ? { access: await readAccess(s, env) } : {}) };
}

/** A flag as the snapshot carries it: definition and environment config, with the computed exposure mark. */
function snapshotFlag(flag: FlagRecord, c: ConfigRecord, tracked: ReadonlySet<string>): SnapshotFlag {
  // The definition's opt-in is one input of the mark, not the mark itself.
  const { trackExposures: _optIn, ...definition } = flag.definition;
  return {
    ...definition,
    ...c.config,
    version: c.version,
    ...(tracked.has(flag.key) ? { trackExposures: true } : {}),
  };
}

async function readAccess(
  s: Stores,
  env: EnvironmentRecord,
): Promise<Pick<EnvironmentState, 'sdkKeyHashes' | 'clients'>> {
  // An environment without one (inserted around the service) issues no stream tokens.
  const streamSecret = await s.environments.streamSecret(env.id);
  return {
    sdkKeyHashes: await s.apiKeys.activeSdkHashes(env.id),
    clients: {
      keyHashes: await s.apiKeys.activeClientHashes(env.id),
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
