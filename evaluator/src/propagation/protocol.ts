/**
 * The Redis protocol between the snapshot publisher (workers/), the control plane (kill switch
 * fallback) and the evaluator fleet: the shapes of the values and messages. Pure data: no I/O
 * here, so every side imports the same names. The key names are in redis-keys.ts.
 */
import type { Snapshot } from '../model/flag.ts';
import type { SnapshotDelta } from '../model/snapshot-delta.ts';

/** What the publisher stores per environment: the snapshot and who may read it. */
export interface SnapshotEnvelope {
  snapshot: Snapshot;
  /** sha256 hex of every unrevoked SDK key of this environment (api-key-hash.ts). */
  sdkKeyHashes: string[];
  /** Epoch ms when the publisher stored it: evaluators report propagation lag against it. */
  publishedAt: number;
  /**
   * Epoch ms when the oldest change this snapshot publishes was committed (its outbox row's time):
   * evaluators report commit -> served propagation against it. Absent (envelopes from before, or a
   * republish with no change): no such observation.
   */
  committedAt?: number;
  /** Browser clients of the environment; absent (envelopes from before): no client keys, no origins. */
  clients?: ClientAccess;
}

/**
 * What the evaluators need to serve browser clients (docs/api.md, "Browser clients"). Beside the
 * snapshot, not in it: /v1/snapshot never shows it, and a client key never reads the snapshot.
 */
export interface ClientAccess {
  /** sha256 hex of every unrevoked client key of the environment: OFREP evaluation only. */
  keyHashes: string[];
  /** Exact origins (`https://app.example.com`) allowed on the OFREP routes (CORS). */
  allowedOrigins: string[];
  /** base64url secret that signs stream tokens; every evaluator of the fleet verifies with it. Absent: no tokens. */
  streamSecret?: string;
}

/**
 * One published change, as the deltas set holds it (redis-keys.ts `deltas`): the snapshot's
 * delta, and the envelope's parts it changed.
 */
export interface EnvelopeDelta {
  delta: SnapshotDelta;
  /** Present when the environment's SDK keys changed: the whole new list. */
  sdkKeyHashes?: string[];
  /** Present when client keys, origins or the stream secret changed: the whole new access. */
  clients?: ClientAccess;
  /** As in {@link SnapshotEnvelope}. */
  publishedAt: number;
  committedAt?: number;
}

/** The largest change a message carries inline (JSON characters); a larger one is read from the deltas set. */
export const INLINE_CHANGE_MAX_CHARS = 64 * 1024;

/** A pub/sub hint: a new snapshot version, or an emergency kill, for one environment. */
export type ChangeMessage =
  | {
      type: 'snapshot';
      environment: string;
      version: number;
      publishedAt: number;
      committedAt?: number;
      /** Set: this version is a delta onto `base`, held in the deltas set. Absent: a full snapshot. */
      base?: number;
      /** The delta itself, when it is at most {@link INLINE_CHANGE_MAX_CHARS}. */
      change?: EnvelopeDelta;
    }
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
