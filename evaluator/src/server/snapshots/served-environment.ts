/**
 * One environment as the server serves it at one moment: the envelope, the emergency kills on
 * top of it, the compiled engine view, and lazily the snapshot JSON for /v1/snapshot. A change
 * builds a new state that is swapped in with one reference assignment. A delta hands the
 * snapshot's flags and segments objects and the engine's tables over to the new state, changed in
 * place in the turn of the swap (redis-snapshot-follower.ts, applyChain): read the current state
 * once per request and answer within that turn; a retired state is not read again.
 */
import { compileSnapshot } from '../../engine/compile-snapshot.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Snapshot } from '../../model/flag.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { snapshotJson, snapshotJsonInSlices } from '../../model/snapshot-json.ts';
import type { ClientAccess, EmergencyKill, SnapshotEnvelope } from '../../propagation/index.ts';
import { EngineView } from '../ofrep/engine-view.ts';
import { runInTurns } from './in-turns.ts';

/** Where a state's envelope came from. */
export type StateSource = 'redis' | 'disk';

/**
 * What the last-known-good copy saves of a state: the full envelope exactly as Redis held it,
 * and the delta entries applied onto it since (JSON, oldest first). Strings as read, so saving
 * never serialises a 10,000-flag envelope on the event loop.
 */
export interface DiskCopy {
  readonly base: string;
  /** The version of `base`'s snapshot. */
  readonly baseVersion: number;
  readonly deltas: readonly string[];
}

/** How a state gets its engine: compiled (the default: in full), or handed over ready. */
export type EngineSource = Engine | ((effective: Snapshot) => Engine);

/** An environment's served state. */
export class ServedEnvironment {
  readonly environment: string;
  readonly version: number;
  readonly view: EngineView;
  /** Flags an emergency kill serves as DISABLED (the snapshot still has them enabled). */
  readonly killed: readonly string[];
  /** The snapshot with the kills applied: what SDKs evaluating in-process must see. */
  readonly effective: Snapshot;
  /** Browser clients (client keys, allowed origins, stream secret); none for envelopes without. */
  readonly clients: ClientAccess;
  /** The origins allowed on the OFREP routes (CORS), for one lookup per request. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Client-key hashes: OFREP evaluation only. */
  readonly clientKeyHashes: ReadonlySet<string>;
  /** Every key hash that may hold a stream open (SDK and client keys): a stream of any other ends. */
  readonly streamKeyHashes: ReadonlySet<string>;
  private snapshotJsonCache: string | undefined;
  private snapshotJsonBuilding: Promise<string> | undefined;

  constructor(
    readonly envelope: SnapshotEnvelope,
    /** What the last-known-good copy saves (the envelope's JSON as stored, and deltas since). */
    readonly disk: DiskCopy,
    readonly kills: Readonly<Record<string, EmergencyKill>>,
    readonly source: StateSource,
    /** Epoch ms this state was swapped in. */
    readonly loadedAt: number,
    engine: EngineSource = compileSnapshot,
    /**
     * The effective delta (kills applied: what /v1/snapshot shows) from the state this one
     * replaced, for SDKs that follow by deltas; undefined when this state did not come from one
     * onto that state with the same kills.
     */
    readonly sdkDelta?: SnapshotDelta,
  ) {
    const snapshot = envelope.snapshot;
    this.environment = snapshot.environment;
    this.version = snapshot.version;
    this.killed = killedFlags(snapshot, kills);
    this.effective = applyKills(snapshot, this.killed);
    this.clients = envelope.clients ?? NO_CLIENTS;
    this.allowedOrigins = new Set(this.clients.allowedOrigins);
    this.clientKeyHashes = new Set(this.clients.keyHashes);
    this.streamKeyHashes = new Set([...envelope.sdkKeyHashes, ...this.clients.keyHashes]);
    this.view = new EngineView(
      typeof engine === 'function' ? engine(this.effective) : engine,
      this.environment,
      this.version,
      this.killed,
    );
  }

  /** The effective snapshot as JSON, built now if it was not (at once: a small environment, or a test). */
  get snapshotJson(): string {
    this.snapshotJsonCache ??= snapshotJson(this.effective);
    return this.snapshotJsonCache;
  }

  /** The effective snapshot's JSON if it was built already. */
  get snapshotJsonBuilt(): string | undefined {
    return this.snapshotJsonCache;
  }

  /**
   * The effective snapshot's JSON, built (once, however many ask) in slices between requests:
   * at 10,000 flags the first build after a full load serialises ~5 MB, and one after a delta
   * only what the delta touched (model/snapshot-json.ts).
   */
  snapshotJsonSoon(): string | Promise<string> {
    if (this.snapshotJsonCache !== undefined) return this.snapshotJsonCache;
    // A small environment's JSON is a few ms at most: built at once.
    if (this.view.engine.flagKeys.length <= SNAPSHOT_JSON_AT_ONCE) return this.snapshotJson;
    this.snapshotJsonBuilding ??= runInTurns(snapshotJsonInSlices(this.effective)).then((json) => {
      this.snapshotJsonCache = json;
      return json;
    });
    return this.snapshotJsonBuilding;
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

/** Flags up to which a snapshot's JSON is built in one go (~0.3 ms per 100 flags). */
const SNAPSHOT_JSON_AT_ONCE = 1_000;

const NO_CLIENTS: ClientAccess = Object.freeze({ keyHashes: [], allowedOrigins: [] });

/** The flags `kills` serve as DISABLED: those the snapshot still has enabled, sorted. */
export function killedFlags(snapshot: Snapshot, kills: Readonly<Record<string, EmergencyKill>>): string[] {
  return Object.keys(kills)
    .filter((flag) => snapshot.flags[flag]?.enabled === true)
    .sort();
}

/** The snapshot with `killed` flags disabled: kills are rare, so recompiling is the cheap overlay. */
export function applyKills(snapshot: Snapshot, killed: readonly string[]): Snapshot {
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
  return e.clients === undefined ? undefined : clientsProblem(e.clients);
}

function clientsProblem(c: unknown): string | undefined {
  if (typeof c !== 'object' || c === null) return 'envelope clients is not an object';
  const { keyHashes, allowedOrigins, streamSecret } = c as Partial<ClientAccess>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!strings(keyHashes)) return 'envelope clients.keyHashes is not an array of strings';
  if (!strings(allowedOrigins)) return 'envelope clients.allowedOrigins is not an array of strings';
  // HMAC keys shorter than 128 bits would make stream tokens guessable.
  if (streamSecret !== undefined && (typeof streamSecret !== 'string' || streamSecret.length < 22))
    return 'envelope clients.streamSecret is not a string of at least 22 characters';
  return undefined;
}
