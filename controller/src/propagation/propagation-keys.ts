/**
 * Redis names the propagation path uses beyond the evaluator protocol (evaluator/src/propagation/
 * protocol.ts): the publisher's wake-up channel, its per-environment locks, and the kills
 * awaiting their audit row while the database is down. Same prefix as the protocol keys.
 */
export interface PropagationKeys {
  /** pub/sub: "an outbox row was committed" (payload: environment ids, comma-separated, or empty). */
  outboxWake: string;
  /** string, a publisher's token while it publishes one environment (SET NX PX). */
  publishLock(environmentId: string): string;
  /** hash id -> JSON PendingKill: kills applied through Redis, not yet in the database. */
  pendingKills: string;
  /** hash id -> the raw entry: pending kills the reconciler could not read, set aside for a human. */
  invalidPendingKills: string;
  /** string, the reconciler's token while it applies pending kills. */
  killReconcileLock: string;
}

/** The names under one prefix (the protocol's default is `fs:`). */
export function propagationKeys(prefix: string): PropagationKeys {
  return {
    outboxWake: `${prefix}outbox-wake`,
    publishLock: (env) => `${prefix}publish-lock:${env}`,
    pendingKills: `${prefix}pending-kills`,
    invalidPendingKills: `${prefix}pending-kills:bad`,
    killReconcileLock: `${prefix}kill-reconcile-lock`,
  };
}
