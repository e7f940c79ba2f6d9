/**
 * Every Redis key and channel of the product, under one prefix: the snapshot publisher
 * (workers/), the control plane (kill switch fallback, outbox and webhook wake-ups) and the
 * evaluator fleet all build their names here, so a name has one definition. Pure data.
 * The value shapes are in protocol.ts; docs/operations.md shows the keys from an operator's side.
 */

/** Prefix of every key; a test uses its own so parallel tests never collide (REDIS_KEY_PREFIX). */
export const DEFAULT_KEY_PREFIX = 'fs:';

export interface RedisKeys {
  /** string: JSON SnapshotEnvelope of the environment's latest published version. */
  snapshot(environmentId: string): string;
  /**
   * string: the version `snapshot` holds; evaluators heal a missed change message by checking
   * it periodically. Kept when an environment is deleted, so a re-created one only moves forward.
   */
  version(environmentId: string): string;
  /**
   * hash flagKey -> JSON EmergencyKill: kills written straight to Redis while the database was
   * down. Evaluators serve those flags DISABLED until a published snapshot has the flag disabled
   * itself; the publisher then removes the entry.
   */
  kills(environmentId: string): string;
  /**
   * sorted set, score = version, member = JSON SnapshotDelta (model/snapshot-delta.ts): the
   * changes published after the version `snapshot` holds, oldest first. A follower applies those
   * after its own version, or after `snapshot`'s when it loads in full; the publisher trims what a
   * newer full `snapshot` covers (docs/architecture.md, "Deltas").
   */
  deltas(environmentId: string): string;
  /** set of the environment ids that have a published snapshot. */
  environments: string;
  /**
   * pub/sub, JSON ChangeMessage: a new snapshot version or an emergency kill. Only a hint:
   * evaluators compare versions and fetch the envelope once (single-flight).
   */
  changes: string;
  /** pub/sub "an outbox row was committed" for the publisher (payload: environment ids, comma-separated, or empty). */
  outboxWake: string;
  /** pub/sub "webhook events were committed" for the webhook outbox drainer. */
  webhookOutboxWake: string;
  /** string: a publisher's token while it publishes one environment (SET NX PX). */
  publishLock(environmentId: string): string;
  /** hash id -> JSON PendingKill: kills applied through Redis, not yet written to the database. */
  pendingKills: string;
  /** hash id -> the raw entry: pending kills the reconciler could not read, set aside for a human. */
  invalidPendingKills: string;
  /** string: the kill reconciler's token while it writes pending kills (SET NX PX). */
  killReconcileLock: string;
  /**
   * string, self-expiring: "this API key was revoked", so every controller process drops the key
   * from its outage cache of verified keys (the controller's RedisRevocationNotes).
   */
  revokedKey(keyId: string): string;
  /** BullMQ prefix of the workers' propagation sweep queue (BullMQ names its own keys below it). */
  sweepQueuePrefix: string;
  /**
   * string, JSON `{"at": epochMs, "region": "<home region>"}`: written by the workers (home region)
   * every second; an evaluator reads it from the Redis it follows (a replica in a far region) and
   * reports `now - at` as its replication staleness (docs/regions.md).
   */
  heartbeat: string;
  /**
   * hash `<region>/<instanceId>` -> JSON `{"version": V, "at": epochMs}`: the version each
   * evaluator serves, written to the home Redis on every swap and every 2 s, the hash expiring a
   * minute after the last report. A rollout step waits until every region in REGIONS serves its
   * version (docs/regions.md).
   */
  served(environmentId: string): string;
}

/** The names under one prefix (default `fs:`). */
export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  return {
    snapshot: (env) => `${prefix}snapshot:${env}`,
    version: (env) => `${prefix}snapshot-version:${env}`,
    kills: (env) => `${prefix}kills:${env}`,
    deltas: (env) => `${prefix}deltas:${env}`,
    environments: `${prefix}environments`,
    changes: `${prefix}changes`,
    outboxWake: `${prefix}outbox-wake`,
    webhookOutboxWake: `${prefix}webhook-outbox-wake`,
    publishLock: (env) => `${prefix}publish-lock:${env}`,
    pendingKills: `${prefix}pending-kills`,
    invalidPendingKills: `${prefix}pending-kills:bad`,
    killReconcileLock: `${prefix}kill-reconcile-lock`,
    revokedKey: (keyId) => `${prefix}revoked-key:${keyId}`,
    sweepQueuePrefix: `${prefix}bull`,
    heartbeat: `${prefix}heartbeat`,
    served: (env) => `${prefix}served:${env}`,
  };
}
