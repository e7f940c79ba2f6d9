/**
 * What changed from one snapshot version to the next (docs/architecture.md, "Deltas"): the flags
 * and segments touched, each whole (a new definition) or `null` (removed). A delta applies only
 * onto the version it names as its `base`; a client at any other version fetches the snapshot in
 * full. Pure data and pure functions: the publisher builds deltas, the evaluators and the SDKs
 * apply them with {@link applyDelta}.
 */
import type { Segment, Snapshot, SnapshotFlag } from './flag.ts';

/** One version's changes (or several versions', merged): see the file comment. */
export interface SnapshotDelta {
  environment: string;
  /** The version this delta applies onto. */
  base: number;
  /** The version applying it produces (greater than `base`; versions may skip). */
  version: number;
  /** ISO 8601: when the publisher took `version`. */
  createdAt: string;
  /** Flags set to a new definition, or removed (`null`). */
  flags: Record<string, SnapshotFlag | null>;
  /** Segments set to a new definition, or removed (`null`). */
  segments: Record<string, Segment | null>;
}

/** Why `delta` cannot be applied onto `snapshot`, or undefined. */
export function deltaMismatch(
  snapshot: Pick<Snapshot, 'environment' | 'version'>,
  delta: SnapshotDelta,
): string | undefined {
  if (delta.environment !== snapshot.environment)
    return `delta is of environment ${JSON.stringify(delta.environment)}, not ${JSON.stringify(snapshot.environment)}`;
  if (delta.base !== snapshot.version) return `delta applies onto version ${delta.base}, not ${snapshot.version}`;
  if (!(delta.version > delta.base)) return `delta version ${delta.version} is not after its base ${delta.base}`;
  return undefined;
}

/**
 * The snapshot `delta` produces from `snapshot` (a new object; neither input is changed).
 * Throws when the delta does not apply onto this snapshot ({@link deltaMismatch}): callers fetch
 * the full snapshot then.
 */
export function applyDelta(snapshot: Snapshot, delta: SnapshotDelta): Snapshot {
  const problem = deltaMismatch(snapshot, delta);
  if (problem !== undefined) throw new Error(problem);
  return {
    ...snapshot,
    version: delta.version,
    createdAt: delta.createdAt,
    flags: patch(snapshot.flags, delta.flags),
    segments: patch(snapshot.segments, delta.segments),
  };
}

/**
 * {@link applyDelta} as a generator that yields after every `sliceSize` entries copied: copying
 * the flags of a 10,000-flag snapshot takes a few ms in one go, so a server copies it between
 * requests. The returned value is the new snapshot.
 */
export function* applyDeltaInSlices(
  snapshot: Snapshot,
  delta: SnapshotDelta,
  sliceSize = 2_000,
): Generator<void, Snapshot, void> {
  const problem = deltaMismatch(snapshot, delta);
  if (problem !== undefined) throw new Error(problem);
  const flags = yield* patchInSlices(snapshot.flags, delta.flags, sliceSize);
  const segments = yield* patchInSlices(snapshot.segments, delta.segments, sliceSize);
  return { ...snapshot, version: delta.version, createdAt: delta.createdAt, flags, segments };
}

/** One delta from `first.base` to `second.version`: `second` follows `first` directly. */
export function mergeDeltas(first: SnapshotDelta, second: SnapshotDelta): SnapshotDelta {
  if (second.base !== first.version || second.environment !== first.environment)
    throw new Error(`delta ${second.base}->${second.version} does not follow ${first.base}->${first.version}`);
  return {
    environment: first.environment,
    base: first.base,
    version: second.version,
    createdAt: second.createdAt,
    flags: { ...first.flags, ...second.flags },
    segments: { ...first.segments, ...second.segments },
  };
}

/** Keys a delta touches: what an incremental compile must redo. */
export function deltaKeys(delta: SnapshotDelta): { flags: string[]; segments: string[] } {
  return { flags: Object.keys(delta.flags), segments: Object.keys(delta.segments) };
}

/** Checks the shape of a delta read from the wire; returns a problem or undefined. */
export function deltaShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'delta is not an object';
  const d = value as Partial<SnapshotDelta>;
  if (typeof d.environment !== 'string') return 'delta has no environment';
  for (const k of ['base', 'version'] as const)
    if (typeof d[k] !== 'number' || !Number.isInteger(d[k]) || d[k] < 0) return `delta.${k} is not a version`;
  if (typeof d.createdAt !== 'string') return 'delta has no createdAt';
  for (const k of ['flags', 'segments'] as const) {
    const m = d[k];
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return `delta.${k} is not an object`;
    for (const [key, entry] of Object.entries(m as Record<string, unknown>))
      if (
        entry !== null &&
        (typeof entry !== 'object' || Array.isArray(entry) || (entry as { key?: unknown }).key !== key)
      )
        return `delta.${k}.${key} is neither null nor an entry with key ${JSON.stringify(key)}`;
  }
  return undefined;
}

function* patchInSlices<T>(
  current: Record<string, T>,
  changes: Record<string, T | null>,
  sliceSize: number,
): Generator<void, Record<string, T>, void> {
  const touched = Object.keys(changes);
  if (touched.length === 0) return current;
  const keys = Object.keys(current);
  if (keys.length <= sliceSize) return patch(current, changes);
  const next: Record<string, T> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    next[key] = current[key]!;
    if ((i + 1) % sliceSize === 0) yield;
  }
  for (const key of touched) {
    const entry = changes[key]!;
    if (entry === null) delete next[key];
    else next[key] = entry;
  }
  return next;
}

function patch<T>(current: Record<string, T>, changes: Record<string, T | null>): Record<string, T> {
  // Unchanged maps are shared: copying 10,000 entries costs milliseconds.
  let any = false;
  for (const _ in changes) {
    any = true;
    break;
  }
  if (!any) return current;
  const next = { ...current };
  for (const [key, entry] of Object.entries(changes)) {
    if (entry === null) delete next[key];
    else next[key] = entry;
  }
  return next;
}
