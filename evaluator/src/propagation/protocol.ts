/**
 * The Redis protocol between the snapshot publisher (workers/), the control plane (kill switch
 * fallback) and the evaluator fleet. Pure data: no I/O here, so every side imports the same names.
 *
 * - `snapshotKey(env)`: string, JSON {@link SnapshotEnvelope} of the latest published version.
 * - `ENVIRONMENTS_KEY`: set of environment ids that have a published snapshot.
 * - `CHANGES_CHANNEL`: pub/sub; each message is JSON {@link ChangeMessage}. A message is only a
 *   hint: evaluators compare versions and fetch the envelope once (single-flight), and heal a
 *   missed message with a periodic version check of `snapshotKey(env)`'s version.
 * - `killsKey(env)`: hash flagKey -> JSON {@link EmergencyKill}: kills written straight to Redis
 *   while the database is down. Evaluators serve those flags as DISABLED until a published
 *   snapshot has the flag disabled itself, at which point the entry is removed.
 */
import type { Snapshot } from '../model/flag.ts';

/** Prefix of every key; override with a test's own prefix so parallel tests never collide. */
export const DEFAULT_KEY_PREFIX = 'fs:';

export interface RedisKeys {
  snapshot(environmentId: string): string;
  version(environmentId: string): string;
  kills(environmentId: string): string;
  environments: string;
  changes: string;
}

/** The key names under one prefix. */
export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  return {
    snapshot: (env) => `${prefix}snapshot:${env}`,
    version: (env) => `${prefix}snapshot-version:${env}`,
    kills: (env) => `${prefix}kills:${env}`,
    environments: `${prefix}environments`,
    changes: `${prefix}changes`,
  };
}

/** What the publisher stores per environment: the snapshot and who may read it. */
export interface SnapshotEnvelope {
  snapshot: Snapshot;
  /** sha256 hex of every unrevoked SDK key of this environment (see controller hashApiKey). */
  sdkKeyHashes: string[];
  /** Epoch ms when the publisher stored it: evaluators report propagation lag against it. */
  publishedAt: number;
}

/** A pub/sub hint: a new snapshot version, or an emergency kill, for one environment. */
export type ChangeMessage =
  | { type: 'snapshot'; environment: string; version: number; publishedAt: number }
  | { type: 'kill'; environment: string; flag: string; at: number };

/** A kill switch written to Redis directly because the database was unreachable. */
export interface EmergencyKill {
  flag: string;
  at: number;
  actor: string;
  reason: string;
  /** The environment's snapshot version when it was written; a later snapshot that still has the flag enabled does NOT clear it. */
  snapshotVersion: number;
}
