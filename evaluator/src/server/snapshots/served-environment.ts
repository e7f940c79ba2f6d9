/**
 * One environment as the server serves it at one moment: the envelope, the emergency kills on
 * top of it, the compiled engine view, and lazily the snapshot JSON for /v1/snapshot. Immutable:
 * a change builds a new state that is swapped in with one reference assignment.
 */
import { compileSnapshot } from '../../engine/compile-snapshot.ts';
import type { Snapshot } from '../../model/flag.ts';
import type { EmergencyKill, SnapshotEnvelope } from '../../propagation/index.ts';
import { EngineView } from '../ofrep/engine-view.ts';

/** Where a state's envelope came from. */
export type StateSource = 'redis' | 'disk';

/** An environment's served state. */
export class ServedEnvironment {
  readonly environment: string;
  readonly version: number;
  readonly view: EngineView;
  /** Flags an emergency kill serves as DISABLED (the snapshot still has them enabled). */
  readonly killed: readonly string[];
  /** The snapshot with the kills applied: what SDKs evaluating in-process must see. */
  readonly effective: Snapshot;
  private snapshotJsonCache: string | undefined;

  constructor(
    readonly envelope: SnapshotEnvelope,
    /** The envelope exactly as stored (saved to disk verbatim). */
    readonly rawEnvelope: string,
    readonly kills: Readonly<Record<string, EmergencyKill>>,
    readonly source: StateSource,
    /** Epoch ms this state was swapped in. */
    readonly loadedAt: number,
  ) {
    const snapshot = envelope.snapshot;
    this.environment = snapshot.environment;
    this.version = snapshot.version;
    this.killed = Object.keys(kills)
      .filter((flag) => snapshot.flags[flag]?.enabled === true)
      .sort();
    this.effective = applyKills(snapshot, this.killed);
    this.view = new EngineView(compileSnapshot(this.effective), this.environment, this.version, this.killed);
  }

  /** The effective snapshot as JSON (built on first use). */
  get snapshotJson(): string {
    if (this.snapshotJsonCache === undefined) this.snapshotJsonCache = JSON.stringify(this.effective);
    return this.snapshotJsonCache;
  }

  /** Strong ETag of the effective snapshot: `"<version>"`, plus the killed flags when there are any. */
  get etag(): string {
    return this.killed.length === 0
      ? `"${this.version}"`
      : `"${this.version}-killed-${hashText(this.killed.join('\n'))}"`;
  }

  /** Same kills (as far as serving goes) as `kills`? */
  sameKills(kills: Readonly<Record<string, EmergencyKill>>): boolean {
    const next = Object.keys(kills)
      .filter((flag) => this.envelope.snapshot.flags[flag]?.enabled === true)
      .sort();
    return next.length === this.killed.length && next.every((f, i) => f === this.killed[i]);
  }
}

/** The snapshot with `killed` flags disabled: kills are rare, so recompiling is the cheap overlay. */
function applyKills(snapshot: Snapshot, killed: readonly string[]): Snapshot {
  if (killed.length === 0) return snapshot;
  const flags = { ...snapshot.flags };
  for (const key of killed) flags[key] = { ...flags[key]!, enabled: false };
  return { ...snapshot, flags };
}

function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

/** Checks the parts of an envelope the server relies on; returns a problem or undefined. */
export function envelopeProblem(value: unknown, environment: string): string | undefined {
  if (typeof value !== 'object' || value === null) return 'envelope is not an object';
  const e = value as Partial<SnapshotEnvelope>;
  const s = e.snapshot;
  if (typeof s !== 'object' || s === null) return 'envelope has no snapshot';
  if (s.environment !== environment)
    return `snapshot is of environment ${JSON.stringify(s.environment)}, expected ${JSON.stringify(environment)}`;
  if (typeof s.version !== 'number' || !Number.isFinite(s.version)) return 'snapshot has no numeric version';
  if (typeof s.flags !== 'object' || s.flags === null) return 'snapshot has no flags object';
  if (typeof s.segments !== 'object' || s.segments === null) return 'snapshot has no segments object';
  if (!Array.isArray(e.sdkKeyHashes)) return 'envelope has no sdkKeyHashes';
  return undefined;
}
