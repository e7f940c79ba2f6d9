/**
 * Keeps every served environment's newest snapshot in memory, following protocol.ts:
 * - start: the last-known-good disk copies first, then Redis (envelopes, deltas, kills), bounded by a timeout;
 * - a change message carrying a delta onto the served version is applied at once, in one turn
 *   of the event loop that costs what the delta touches: the snapshot and the engine's tables are
 *   handed to the new state and changed in place, only the changed flags compiled again
 *   (docs/architecture.md, "Deltas");
 * - other pub/sub hints: read the deltas after the served version once per environment however
 *   many hints arrive (single-flight), or the full envelope when they do not reach (at start,
 *   after a gap); a full envelope is parsed on a worker thread and compiled in slices
 *   (envelope-parser.ts), the old state served until the new one is ready; each new state is
 *   swapped in with one reference assignment;
 * - a periodic version check heals missed hints and kill changes; a reconnect resyncs at once;
 * - never goes back to an older version, never drops a state because Redis is down.
 */
import { Redis } from 'ioredis';
import { compileSnapshot, compileSnapshotInSlices } from '../../engine/compile-snapshot.ts';
import type { Engine } from '../../engine/engine.ts';
import {
  applyDeltaInPlace,
  deltaMismatch,
  deltaShapeProblem,
  mergeDeltas,
  type SnapshotDelta,
} from '../../model/snapshot-delta.ts';
import {
  applyEnvelopeDelta,
  chainAfter,
  redisClientOptions,
  redisKeys,
  type ChangeMessage,
  type EmergencyKill,
  type EnvelopeDelta,
  type RedisKeys,
  type RedisSentinelSettings,
  type SnapshotEnvelope,
} from '../../propagation/index.ts';
import type { Logger } from '../logger.ts';
import type { EngineView } from '../ofrep/engine-view.ts';
import { EnvelopeParser } from './envelope-parser.ts';
import {
  applyKills,
  type DiskCopy,
  type EngineSource,
  envelopeProblem,
  killedFlags,
  ServedEnvironment,
  type StateSource,
} from './served-environment.ts';
import { runInTurns } from './in-turns.ts';
import { FileLastKnownGood } from './last-known-good.ts';

/** Swaps whose SDK deltas are kept per environment, for `/v1/snapshot?since=` (deltaSince). */
const SDK_DELTA_HISTORY = 64;
/** Deltas a state's disk copy may hold before the follower re-reads the (compacted) full envelope. */
const DISK_DELTAS_MAX = 100;

/** What the follower needs from the server's configuration. */
export interface SnapshotFollowerOptions {
  redisUrl: string;
  /** Undefined: REDIS_URL's host; otherwise the primary Sentinel names (ioredis follows failovers). */
  redisSentinel?: RedisSentinelSettings | undefined;
  keyPrefix: string;
  environments: readonly string[];
  dataDir: string;
  versionCheckMs: number;
  redisConnectTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  logger: Logger;
}

/** What a served key hash may do: its environment, and whether it is a client (OFREP-only) key. */
export interface KeyGrant {
  readonly environment: string;
  readonly client: boolean;
}

/** Called after every swap, with the state it replaced (undefined for the first). */
export type SwapListener = (state: ServedEnvironment, previous: ServedEnvironment | undefined) => void;

/** Counters that tests and metrics read. */
export interface SnapshotFollowerStats {
  /** Envelope GETs issued against Redis. */
  fetches: number;
  swaps: number;
  versionChecks: number;
  /** Changes applied as deltas (from a message or the deltas set), and deltas refused. */
  deltas: number;
  deltasRefused: number;
}

/**
 * Jittered exponential backoff for ioredis' retryStrategy: a delay drawn uniformly from
 * [d/2, d] where d = min(max, base * 2^(attempt-1)), so a fleet that lost Redis together does
 * not reconnect in lockstep.
 */
export function reconnectDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

/**
 * Follows the snapshots the workers' publisher writes to Redis (propagation/protocol.ts), with a
 * last-known-good folder: the evaluator's read side of propagation.
 */
export class RedisSnapshotFollower {
  readonly stats: SnapshotFollowerStats = { fetches: 0, swaps: 0, versionChecks: 0, deltas: 0, deltasRefused: 0 };
  private readonly keys: RedisKeys;
  private readonly states = new Map<string, ServedEnvironment>();
  /** SDK and client key hash -> grant, rebuilt on every swap. */
  private keyHashes = new Map<string, KeyGrant>();
  /** Origins any served environment allows (CORS preflight), rebuilt on every swap. */
  private origins = new Set<string>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly wanted = new Map<string, number>();
  /** Versions whose envelope could not be used: not refetched on every check. */
  private readonly badVersions = new Map<string, number>();
  private readonly listeners: SwapListener[] = [];
  private readonly retired: EngineView[] = [];
  private readonly lkg: FileLastKnownGood;
  private readonly parser = new EnvelopeParser();
  /** Per environment, the SDK deltas of its last swaps (oldest first). */
  private readonly sdkDeltas = new Map<string, SnapshotDelta[]>();
  /** Per environment, the deltas that arrived inline in change messages, not applied yet. */
  private readonly inlineChanges = new Map<string, Array<{ change: EnvelopeDelta; raw: string }>>();
  private cmd: Redis | undefined;
  private sub: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private closed = false;
  private lastRedisError = '';
  /** Environment ids known to exist (configured, or read from the environments set). */
  private known: string[];

  constructor(private readonly options: SnapshotFollowerOptions) {
    this.keys = redisKeys(options.keyPrefix);
    this.known = [...options.environments];
    this.lkg = new FileLastKnownGood(options.dataDir, (m) => options.logger.warn(m));
  }

  /** True while the command connection to Redis is up. */
  get redisConnected(): boolean {
    return this.cmd?.status === 'ready';
  }

  /** The current state of an environment (read it once per request and keep using that one). */
  get(environment: string): ServedEnvironment | undefined {
    return this.states.get(environment);
  }

  /** Every loaded environment's current state. */
  all(): ServedEnvironment[] {
    return [...this.states.values()];
  }

  /** The grant of the envelope that lists this SDK or client key hash. */
  grantOfKeyHash(hash: string): KeyGrant | undefined {
    return this.keyHashes.get(hash);
  }

  /** Whether any served environment allows this origin (preflights carry no key to say which). */
  originAllowedAnywhere(origin: string): boolean {
    return this.origins.has(origin);
  }

  /** The environments the follower must serve before it is ready. */
  expectedEnvironments(): readonly string[] {
    return this.known;
  }

  /** Ready once every configured (or, with none configured, every known) environment has a state. */
  isReady(): boolean {
    if (this.options.environments.length === 0 && this.known.length === 0) return this.states.size > 0;
    return this.known.every((e) => this.states.has(e));
  }

  onSwap(listener: SwapListener): void {
    this.listeners.push(listener);
  }

  /** Engine views retired since the last call, plus the current ones (the metrics harvest their counts). */
  takeViews(): EngineView[] {
    const views = this.retired.splice(0, this.retired.length);
    for (const s of this.states.values()) views.push(s.view);
    return views;
  }

  /**
   * Loads the disk copies, connects to Redis and syncs; resolves after the sync, or after
   * redisConnectTimeoutMs when Redis does not answer (it keeps reconnecting in the background).
   */
  async start(): Promise<void> {
    const { logger } = this.options;
    for (const saved of await this.lkg.load(this.options.environments)) {
      try {
        const base = JSON.parse(saved.envelope) as SnapshotEnvelope;
        const problem = envelopeProblem(base, saved.environment);
        if (problem !== undefined) {
          logger.warn(`ignoring last-known-good copy of ${saved.environment}: ${problem}`);
          continue;
        }
        const { envelope, applied } = withDeltas(
          base,
          saved.deltas.map((d) => JSON.parse(d) as EnvelopeDelta),
        );
        this.install(
          envelope,
          { base: saved.envelope, baseVersion: base.snapshot.version, deltas: saved.deltas.slice(0, applied) },
          saved.kills,
          'disk',
        );
        if (!this.known.includes(saved.environment)) this.known.push(saved.environment);
        logger.info('loaded last-known-good snapshot from disk', {
          environment: saved.environment,
          version: envelope.snapshot.version,
        });
      } catch (e) {
        logger.warn(`ignoring last-known-good copy of ${saved.environment}: ${(e as Error).message}`);
      }
    }
    const redisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: Math.max(500, this.options.redisConnectTimeoutMs),
      retryStrategy: (attempt: number) =>
        reconnectDelay(attempt, this.options.reconnectBaseMs, this.options.reconnectMaxMs),
    };
    this.cmd = new Redis(redisClientOptions(this.options, redisOptions));
    // The subscriber queues its SUBSCRIBE until connected; ioredis resubscribes after reconnects
    // (after a Sentinel failover too: on the promoted replica).
    this.sub = new Redis(
      redisClientOptions(this.options, { ...redisOptions, enableOfflineQueue: true, maxRetriesPerRequest: null }),
    );
    for (const [name, client] of [
      ['commands', this.cmd],
      ['subscriber', this.sub],
    ] as const) {
      client.on('error', (e: Error) => {
        if (e.message !== this.lastRedisError) logger.warn(`redis ${name} connection: ${e.message}`);
        this.lastRedisError = e.message;
      });
    }
    this.cmd.on('ready', () => {
      logger.info('redis connected; resyncing versions');
      this.lastRedisError = '';
      void this.checkVersions();
    });
    this.sub.on('ready', () => {
      void this.checkVersions();
    });
    this.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    this.sub.subscribe(this.keys.changes).catch((e: Error) => logger.warn(`subscribe failed: ${e.message}`));

    const ready = new Promise<boolean>((resolve) => {
      if (this.cmd!.status === 'ready') {
        resolve(true);
        return;
      }
      const timer = setTimeout(() => resolve(false), this.options.redisConnectTimeoutMs);
      this.cmd!.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (await ready) {
      await this.checkVersions();
    } else {
      logger.warn('redis unreachable at start; serving last-known-good snapshots from disk', {
        environments: this.all().map((s) => ({ environment: s.environment, version: s.version })),
      });
    }
    this.timer = setInterval(() => {
      void this.checkVersions();
    }, this.options.versionCheckMs);
    this.timer.unref();
  }

  /** Stops the timer and the Redis connections; waits for pending disk writes. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await Promise.allSettled([...this.inflight.values()]);
    for (const c of [this.cmd, this.sub]) c?.disconnect();
    await this.parser.close();
    await this.lkg.flush();
  }

  private onMessage(channel: string, text: string): void {
    if (channel !== this.keys.changes || this.closed) return;
    let message: ChangeMessage;
    try {
      message = JSON.parse(text) as ChangeMessage;
    } catch {
      this.options.logger.warn('ignoring a change message that is not JSON', { text: text.slice(0, 200) });
      return;
    }
    if (typeof message !== 'object' || message === null || typeof message.environment !== 'string') return;
    const env = message.environment;
    if (!this.serves(env)) return;
    if (message.type === 'snapshot' && typeof message.version === 'number') {
      const current = this.states.get(env);
      if (current !== undefined && message.version <= current.version) return;
      // A delta carried by the message is applied from memory, no read at all, by the
      // single-flight request (in order, one environment at a time; see fetch).
      if (message.change !== undefined && typeof message.base === 'number') {
        const queued = this.inlineChanges.get(env) ?? [];
        queued.push({ change: message.change, raw: JSON.stringify(message.change) });
        // Bounded: a follower far behind reads the deltas set instead.
        this.inlineChanges.set(env, queued.slice(-SDK_DELTA_HISTORY));
      }
      void this.request(env, message.version);
    } else if (message.type === 'kill') {
      void this.refreshKills(env);
    }
  }

  private serves(env: string): boolean {
    if (this.options.environments.length > 0) return this.options.environments.includes(env);
    if (!this.known.includes(env)) this.known.push(env);
    return true;
  }

  /** Single-flight fetch: at most one envelope GET per environment in flight; newer wishes ride on it. */
  private request(env: string, version: number): Promise<void> {
    if (version > (this.wanted.get(env) ?? -Infinity)) this.wanted.set(env, version);
    const running = this.inflight.get(env);
    if (running !== undefined) return running;
    const run = (async () => {
      try {
        // Loop while a hint newer than what the last fetch found arrived during the fetch.
        for (let i = 0; i < 10 && !this.closed; i++) {
          const found = await this.fetch(env);
          if (found === undefined || found >= (this.wanted.get(env) ?? 0)) break;
        }
      } catch (e) {
        this.options.logger.warn(
          `fetching snapshot of ${env} failed (the periodic check retries): ${(e as Error).message}`,
        );
      } finally {
        this.inflight.delete(env);
      }
    })();
    this.inflight.set(env, run);
    return run;
  }

  /** Brings one environment up to what Redis holds: by deltas when they reach, else in full. Returns the version found. */
  private async fetch(env: string): Promise<number | undefined> {
    const current = this.states.get(env);
    const inline = this.inlineChanges.get(env) ?? [];
    this.inlineChanges.delete(env);
    if (current !== undefined && inline.length > 0) {
      const chain = chainAfter(
        current.version,
        inline.map((i) => i.change),
      );
      if (chain !== undefined && chain.length > 0) {
        const raws = inline.slice(inline.length - chain.length).map((i) => i.raw);
        if (await this.applyChain(current, chain, raws, current.kills)) return chain.at(-1)!.delta.version;
      }
    }
    if (current !== undefined) {
      const found = await this.fetchDeltas(env, current);
      if (found !== 'full') return found;
    }
    return this.fetchFull(env);
  }

  /** The deltas after the served version, applied; 'full' when they do not reach the version Redis holds. */
  private async fetchDeltas(env: string, current: ServedEnvironment): Promise<number | undefined | 'full'> {
    const cmd = this.cmd;
    if (cmd === undefined || cmd.status !== 'ready') return undefined;
    const replies = await cmd
      .multi()
      .get(this.keys.version(env))
      .zrangebyscore(this.keys.deltas(env), `(${current.version}`, '+inf')
      .hgetall(this.keys.kills(env))
      .exec();
    if (replies === null) return undefined;
    const [[versionError, versionText], [deltasError, members], [killsError, killHash]] = replies as [
      [Error | null, string | null],
      [Error | null, string[]],
      [Error | null, Record<string, string>],
    ];
    if (versionError !== null) throw versionError;
    if (deltasError !== null) throw deltasError;
    const version = Number(versionText ?? 0);
    const kills = killsError === null ? parseKills(killHash, this.options.logger) : current.kills;
    if (version <= current.version) {
      if (!current.sameKills(kills)) this.reinstallKills(current, kills);
      return version;
    }
    const entries = parseEntries(members);
    const chain = entries === undefined ? undefined : chainAfter(current.version, entries);
    if (chain === undefined || chain.length === 0 || chain.at(-1)!.delta.version !== version) return 'full';
    const raws = members.slice(members.length - chain.length);
    return (await this.applyChain(current, chain, raws, kills)) ? version : 'full';
  }

  /** The full envelope and the deltas after it: parsed off the event loop, compiled in slices. */
  private async fetchFull(env: string): Promise<number | undefined> {
    const cmd = this.cmd;
    if (cmd === undefined || cmd.status !== 'ready') return undefined;
    this.stats.fetches++;
    const replies = await cmd
      .multi()
      .get(this.keys.snapshot(env))
      .zrange(this.keys.deltas(env), 0, -1)
      .hgetall(this.keys.kills(env))
      .exec();
    if (replies === null) return undefined;
    const [[snapshotError, raw], [deltasError, members], [killsError, killHash]] = replies as [
      [Error | null, string | null],
      [Error | null, string[]],
      [Error | null, Record<string, string>],
    ];
    if (snapshotError !== null) throw snapshotError;
    if (raw === null) return undefined;
    let base: SnapshotEnvelope;
    try {
      base = await this.parser.parse(raw);
    } catch (e) {
      return this.reject(env, undefined, `envelope is not JSON: ${(e as Error).message}`);
    }
    const problem = envelopeProblem(base, env);
    if (problem !== undefined) return this.reject(env, (base as Partial<SnapshotEnvelope>)?.snapshot?.version, problem);
    const entries = deltasError === null ? parseEntries(members) : undefined;
    const chain = entries === undefined ? undefined : chainAfter(base.snapshot.version, entries);
    if (chain === undefined && members.length > 0)
      this.options.logger.warn(
        `the deltas of ${env} after version ${base.snapshot.version} do not chain; serving the full snapshot alone`,
      );
    const { envelope, applied } = withDeltas(base, chain ?? []);
    const version = envelope.snapshot.version;
    // Deltas that do not apply are not read again on every hint and check: the newest version
    // they stand for is remembered as unusable until a newer one is published.
    const unusable = applied < (chain?.length ?? 0) || (chain === undefined && members.length > 0);
    const newest = entries?.at(-1)?.delta?.version;
    if (unusable && typeof newest === 'number' && newest > version) {
      this.reject(env, newest, `its deltas after version ${version} do not apply`);
    }
    const found = unusable && typeof newest === 'number' ? Math.max(newest, version) : version;
    const latest = this.states.get(env);
    const kills = killsError === null ? parseKills(killHash, this.options.logger) : (latest?.kills ?? {});
    if (latest !== undefined && version <= latest.version) {
      if (version === latest.version && !latest.sameKills(kills)) this.reinstallKills(latest, kills);
      return found;
    }
    const disk: DiskCopy = {
      base: raw,
      baseVersion: base.snapshot.version,
      deltas: members.slice(members.length - (chain?.length ?? 0)).slice(0, applied),
    };
    try {
      const effective = applyKills(envelope.snapshot, killedFlags(envelope.snapshot, kills));
      const engine = await runInTurns(compileSnapshotInSlices(effective));
      this.install(envelope, disk, kills, 'redis', engine);
    } catch (e) {
      return this.reject(env, version, `snapshot could not be compiled: ${(e as Error).message}`);
    }
    return found;
  }

  /**
   * Applies a chain of deltas onto `current` (the first applies onto its version): one merged
   * delta, the changed flags compiled again. False when the chain does not apply (refused: the
   * caller loads in full), or when another state was swapped in meanwhile (the caller reads again).
   *
   * The change costs what it touches, not the environment, and is one turn of the event loop:
   * the served snapshot's flags and segments objects and the engine's tables are handed from the
   * current state to the new one and changed in place (applyDeltaInPlace, compileSnapshot's
   * takeOver), and the new state is swapped in within the same turn, so no request ever sees a
   * half-applied change and nothing reads the retired state after it (requests read the current
   * state once and answer within their turn). A delta that fails to apply or compile is undone
   * before anything else runs.
   */
  private async applyChain(
    current: ServedEnvironment,
    chain: readonly EnvelopeDelta[],
    raws: readonly string[],
    kills: Readonly<Record<string, EmergencyKill>>,
  ): Promise<boolean> {
    const env = current.environment;
    let merged: SnapshotDelta;
    try {
      for (const entry of chain) {
        const problem = deltaShapeProblem(entry?.delta);
        if (problem !== undefined) throw new Error(problem);
      }
      merged = chain.map((e) => e.delta).reduce(mergeDeltas);
      const problem = deltaMismatch(current.envelope.snapshot, merged);
      if (problem !== undefined) throw new Error(problem);
    } catch (e) {
      return this.refuse(env, current, `${(e as Error).message}`);
    }
    // The messages before this one may still be answered first: the change waits one turn.
    await nextTurn();
    if (this.states.get(env) !== current || this.closed) return false;
    const last = chain.at(-1)!;
    const committed = chain.map((e) => e.committedAt).filter((t): t is number => typeof t === 'number');
    const { snapshot, undo } = applyDeltaInPlace(current.envelope.snapshot, merged);
    // The commit time is the chain's own (its oldest change), never the state's before it.
    const { committedAt: _previous, ...before } = current.envelope;
    let envelope: SnapshotEnvelope = {
      ...before,
      snapshot,
      publishedAt: last.publishedAt,
      ...(committed.length === 0 ? {} : { committedAt: Math.min(...committed) }),
    };
    for (const entry of chain) {
      if (entry.sdkKeyHashes !== undefined) envelope = { ...envelope, sdkKeyHashes: entry.sdkKeyHashes };
      if (entry.clients !== undefined) envelope = { ...envelope, clients: entry.clients };
    }
    const problem = envelopeProblem(envelope, env);
    if (problem !== undefined) {
      undo();
      return this.refuse(env, current, problem);
    }
    const killed = killedFlags(envelope.snapshot, kills);
    const sameKilled = killed.join('\n') === current.killed.join('\n');
    const changedFlags = new Set(Object.keys(merged.flags));
    for (const flag of new Set([...killed, ...current.killed])) changedFlags.add(flag);
    let engine: Engine;
    try {
      engine = compileSnapshot(applyKills(envelope.snapshot, killed), {
        engine: current.view.engine,
        changedFlags,
        changedSegments: Object.keys(merged.segments),
        takeOver: true,
      });
    } catch (e) {
      undo();
      return this.refuse(env, current, `it could not be compiled: ${(e as Error).message}`);
    }
    const disk: DiskCopy = { ...current.disk, deltas: [...current.disk.deltas, ...raws] };
    this.install(envelope, disk, kills, 'redis', engine, sameKilled ? effectiveDelta(merged, killed) : undefined);
    this.stats.deltas += chain.length;
    if (disk.deltas.length > DISK_DELTAS_MAX) void this.rebaseDisk(env);
    return true;
  }

  /** Counts and logs a refused delta chain; false, for the caller to load in full. */
  private refuse(env: string, current: ServedEnvironment, problem: string): false {
    this.stats.deltasRefused++;
    this.options.logger.warn(`refusing a delta of ${env} onto version ${current.version}: ${problem}`);
    return false;
  }

  /**
   * Replaces a state's disk copy (full envelope + many deltas) by the compacted full envelope
   * Redis holds now and the few deltas after it, when those reach exactly the served version.
   * Nothing is compiled: only what the last-known-good file will hold changes.
   */
  private async rebaseDisk(env: string): Promise<void> {
    const cmd = this.cmd;
    if (cmd === undefined || cmd.status !== 'ready') return;
    try {
      const replies = await cmd.multi().get(this.keys.snapshot(env)).zrange(this.keys.deltas(env), 0, -1).exec();
      const [[, raw], [, members]] = (replies ?? [
        [null, null],
        [null, []],
      ]) as [[unknown, string | null], [unknown, string[]]];
      const current = this.states.get(env);
      if (raw === null || current === undefined) return;
      const base = await this.parser.parse(raw);
      const entries = parseEntries(members);
      const chain = entries === undefined ? undefined : chainAfter(base.snapshot.version, entries);
      if (chain === undefined) return;
      const upTo = chain.findIndex((e) => e.delta.version === current.version);
      const reaches = base.snapshot.version === current.version || upTo >= 0;
      const latest = this.states.get(env);
      if (!reaches || latest !== current) return;
      const raws = members.slice(members.length - chain.length).slice(0, upTo + 1);
      const disk: DiskCopy = { base: raw, baseVersion: base.snapshot.version, deltas: raws };
      (current as { disk: DiskCopy }).disk = disk;
      void this.lkg.save({
        environment: env,
        envelope: raw,
        deltas: raws,
        baseVersion: disk.baseVersion,
        kills: current.kills,
        savedAt: Date.now(),
      });
    } catch (e) {
      this.options.logger.warn(
        `re-reading the full snapshot of ${env} for the disk copy failed: ${(e as Error).message}`,
      );
    }
  }

  /** The same envelope with other kills: the kills' flags compiled again. */
  private reinstallKills(current: ServedEnvironment, kills: Record<string, EmergencyKill>): void {
    const changed = new Set([...current.killed, ...killedFlags(current.envelope.snapshot, kills)]);
    this.install(current.envelope, current.disk, kills, 'redis', (effective) =>
      compileSnapshot(effective, { engine: current.view.engine, changedFlags: changed, changedSegments: [] }),
    );
  }

  /**
   * The effective delta from `version` to what is served, merged from the last swaps' SDK
   * deltas; undefined when this follower does not hold that whole chain (then a full answer).
   */
  deltaSince(environment: string, version: number): SnapshotDelta | undefined {
    const current = this.states.get(environment);
    if (current === undefined || version >= current.version) return undefined;
    const history = this.sdkDeltas.get(environment) ?? [];
    const start = history.findIndex((d) => d.base === version);
    if (start < 0) return undefined;
    let merged = history[start]!;
    for (let i = start + 1; i < history.length; i++) {
      if (history[i]!.base !== merged.version) return undefined;
      merged = mergeDeltas(merged, history[i]!);
    }
    return merged.version === current.version ? merged : undefined;
  }

  private reject(env: string, version: number | undefined, problem: string): number | undefined {
    if (version !== undefined) this.badVersions.set(env, version);
    this.options.logger.error(
      `keeping the current snapshot of ${env}: published version ${version ?? '?'} is unusable: ${problem}`,
    );
    return version;
  }

  /** Re-reads an environment's kills and re-applies them when they changed. */
  private async refreshKills(env: string): Promise<void> {
    const cmd = this.cmd;
    const current = this.states.get(env);
    if (cmd === undefined || cmd.status !== 'ready' || current === undefined) return;
    try {
      const kills = parseKills(await cmd.hgetall(this.keys.kills(env)), this.options.logger);
      const latest = this.states.get(env)!;
      if (!latest.sameKills(kills)) this.reinstallKills(latest, kills);
    } catch (e) {
      this.options.logger.warn(`reading kills of ${env} failed: ${(e as Error).message}`);
    }
  }

  /**
   * The periodic (and on-reconnect) check: compares each environment's version key with what is
   * served, fetches what is newer, and re-reads kills. Never overlaps itself.
   */
  checkVersions(): Promise<void> {
    if (this.checking !== undefined) return this.checking;
    this.checking = (async () => {
      const cmd = this.cmd;
      if (cmd === undefined || cmd.status !== 'ready' || this.closed) return;
      this.stats.versionChecks++;
      try {
        if (this.options.environments.length === 0) {
          const members = await cmd.smembers(this.keys.environments);
          for (const m of members) if (!this.known.includes(m)) this.known.push(m);
        }
        const envs = [...this.known];
        if (envs.length === 0) return;
        const pipeline = cmd.pipeline();
        for (const env of envs) pipeline.get(this.keys.version(env)).hgetall(this.keys.kills(env));
        const replies = (await pipeline.exec()) ?? [];
        const work: Promise<void>[] = [];
        envs.forEach((env, i) => {
          const [versionError, versionText] = replies[2 * i] ?? [null, null];
          const [killsError, killHash] = replies[2 * i + 1] ?? [null, {}];
          const current = this.states.get(env);
          const version = versionError === null && versionText !== null ? Number(versionText) : NaN;
          const newer = Number.isFinite(version)
            ? current === undefined || version > current.version
            : current === undefined;
          if (newer && this.badVersions.get(env) !== version) {
            work.push(this.request(env, Number.isFinite(version) ? version : 0));
          } else if (current !== undefined && killsError === null) {
            const kills = parseKills(killHash as Record<string, string>, this.options.logger);
            if (!current.sameKills(kills)) this.reinstallKills(current, kills);
          }
        });
        await Promise.all(work);
      } catch (e) {
        this.options.logger.warn(`version check failed: ${(e as Error).message}`);
      }
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  /** Compiles and swaps in a state; the one place states change. */
  private install(
    envelope: SnapshotEnvelope,
    disk: DiskCopy,
    kills: Readonly<Record<string, EmergencyKill>>,
    source: StateSource,
    engine?: EngineSource,
    sdkDelta?: SnapshotDelta,
  ): void {
    const env = envelope.snapshot.environment;
    const previous = this.states.get(env);
    if (previous !== undefined && envelope.snapshot.version < previous.version) return; // never go back
    const state = new ServedEnvironment(envelope, disk, kills, source, Date.now(), engine, sdkDelta);
    this.states.set(env, state);
    this.stats.swaps++;
    const history = sdkDelta === undefined ? [] : [...(this.sdkDeltas.get(env) ?? []), sdkDelta];
    this.sdkDeltas.set(env, history.slice(-SDK_DELTA_HISTORY));
    if (previous !== undefined) this.retired.push(previous.view);
    const hashes = new Map<string, KeyGrant>();
    const origins = new Set<string>();
    const grant = (h: string, g: KeyGrant) => {
      const had = hashes.get(h);
      if (had === undefined) hashes.set(h, g);
      else if (had.environment !== g.environment || had.client !== g.client)
        this.options.logger.warn('a key hash is listed twice (environments or roles); the first wins', {
          environments: [had.environment, g.environment],
        });
    };
    for (const s of this.states.values()) {
      const sdk: KeyGrant = { environment: s.environment, client: false };
      const client: KeyGrant = { environment: s.environment, client: true };
      for (const h of s.envelope.sdkKeyHashes) grant(h, sdk);
      for (const h of s.clients.keyHashes) grant(h, client);
      for (const o of s.clients.allowedOrigins) origins.add(o);
    }
    this.keyHashes = hashes;
    this.origins = origins;
    if (
      source === 'redis' &&
      (previous === undefined ||
        previous.version !== state.version ||
        previous.disk.base !== disk.base ||
        previous.killed.join() !== state.killed.join())
    ) {
      void this.lkg.save({
        environment: env,
        envelope: disk.base,
        deltas: disk.deltas,
        baseVersion: disk.baseVersion,
        kills: { ...kills },
        savedAt: Date.now(),
      });
    }
    for (const listener of this.listeners) {
      try {
        listener(state, previous);
      } catch (e) {
        this.options.logger.error(`swap listener failed: ${(e as Error).message}`);
      }
    }
  }

  /** Waits until pending last-known-good writes are on disk (tests, shutdown). */
  flushDisk(): Promise<void> {
    return this.lkg.flush();
  }
}

function parseKills(hash: Record<string, string> | null | undefined, logger: Logger): Record<string, EmergencyKill> {
  const kills: Record<string, EmergencyKill> = {};
  for (const [flag, text] of Object.entries(hash ?? {})) {
    try {
      kills[flag] = JSON.parse(text) as EmergencyKill;
    } catch {
      // An unreadable kill still kills: failing open on an emergency stop would be worse.
      logger.warn(`kill entry for ${flag} is not JSON; treating it as a kill`);
      kills[flag] = { flag, at: 0, actor: 'unknown', reason: 'unreadable kill entry', snapshotVersion: 0 };
    }
  }
  return kills;
}

/** Lets the event loop answer what waits (requests, messages) before the next step. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The envelope with as many of `chain`'s deltas applied as apply in turn, and how many did. */
function withDeltas(
  base: SnapshotEnvelope,
  chain: readonly EnvelopeDelta[],
): { envelope: SnapshotEnvelope; applied: number } {
  let envelope = base;
  let applied = 0;
  for (const entry of chain) {
    if (deltaShapeProblem(entry?.delta) !== undefined || entry.delta.base !== envelope.snapshot.version) break;
    envelope = applyEnvelopeDelta(envelope, entry);
    applied++;
  }
  return { envelope, applied };
}

/** JSON entries of the deltas set; undefined when one is not JSON (the caller loads in full). */
function parseEntries(members: readonly string[]): EnvelopeDelta[] | undefined {
  try {
    return members.map((m) => JSON.parse(m) as EnvelopeDelta);
  } catch {
    return undefined;
  }
}

/** The delta as SDKs see it: the flags an emergency kill serves disabled, disabled. */
function effectiveDelta(delta: SnapshotDelta, killed: readonly string[]): SnapshotDelta {
  if (killed.length === 0) return delta;
  const flags = { ...delta.flags };
  for (const key of killed) {
    const flag = flags[key];
    if (flag) flags[key] = { ...flag, enabled: false };
  }
  return { ...delta, flags };
}
