/**
 * The SDK's decision on a delta from an evaluator (docs/sdk.md, "Staying current"): apply it onto
 * the held snapshot and recompile only what it touches, or refuse it (then the sync fetches).
 * A delta applies only onto the state it names as its base: the held version must be its
 * `base`, and the held ETag that base state's (the same kills: an ETag carries them).
 */
import {
  applyDeltaInPlace,
  compileSnapshot,
  deltaKeys,
  deltaMismatch,
  deltaShapeProblem,
  type Engine,
  type Snapshot,
  type SnapshotDelta,
} from '@flagship/evaluator';
import { deltaChangedFlagKeys } from './snapshot-changes.ts';

/** What the SDK holds when a delta arrives. */
export interface HeldSnapshot {
  readonly snapshot: Snapshot;
  readonly etag: string;
  readonly engine: Engine;
  /** False while the held engine is the unconfirmed view of the last-known-good file. */
  readonly live: boolean;
}

/** The applied delta: the new snapshot and engine, and the flags whose answers may have changed. */
export interface AppliedDelta {
  readonly snapshot: Snapshot;
  readonly engine: Engine;
  readonly flagKeys: string[];
}

/** Whether a document from the wire is a delta (it names a `base`; a snapshot never does). */
export function isDeltaDocument(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'base' in value;
}

/** Applies `value` (a delta from the wire, served with `etag`) onto `held`, or says why not. */
export function applySdkDelta(
  held: HeldSnapshot | undefined,
  value: unknown,
  etag: string,
): AppliedDelta | { problem: string } {
  if (held === undefined) return { problem: 'a delta arrived before any snapshot' };
  const shape = deltaShapeProblem(value);
  if (shape !== undefined) return { problem: shape };
  const delta = value as SnapshotDelta;
  const mismatch = deltaMismatch(held.snapshot, delta);
  if (mismatch !== undefined) return { problem: mismatch };
  const base = deltaBaseEtag(etag, delta.version, delta.base);
  if (base !== held.etag)
    return { problem: `delta applies onto the state with ETag ${base ?? '(unknown)'}, not ${held.etag}` };
  // The held snapshot and engine are handed over and changed in place (the caller swaps the
  // result in at once and never evaluates the held engine again): a change costs what it
  // touches, not two 10,000-entry copies. Undone when the compile fails.
  const { snapshot, undo } = applyDeltaInPlace(held.snapshot, delta);
  try {
    const keys = deltaKeys(delta);
    // Before the compile: once it took the held engine over, nothing may fail.
    const flagKeys = deltaChangedFlagKeys(delta, snapshot);
    // The file's unconfirmed view compiled some flags disabled (fail modes): a live engine is
    // compiled from the snapshot itself, so that one is not a base to reuse.
    const engine = held.live
      ? compileSnapshot(snapshot, {
          engine: held.engine,
          changedFlags: keys.flags,
          changedSegments: keys.segments,
          takeOver: true,
        })
      : compileSnapshot(snapshot);
    return { snapshot, engine, flagKeys };
  } catch (e) {
    undo();
    return { problem: `the delta cannot be applied: ${(e as Error).message}` };
  }
}

/**
 * The ETag of the state a delta from `base` starts at, given the ETag served with it: a delta
 * joins only states with the same kills, so the two differ only in the version they start with
 * (`"7"` -> `"5"`, `"7-killed-ab12"` -> `"5-killed-ab12"`; docs/api.md, "Deltas for SDKs").
 */
export function deltaBaseEtag(etag: string, version: number, base: number): string | undefined {
  const head = `"${version}`;
  if (etag === `${head}"`) return `"${base}"`;
  if (etag.startsWith(`${head}-`)) return `"${base}${etag.slice(head.length)}`;
  return undefined;
}
