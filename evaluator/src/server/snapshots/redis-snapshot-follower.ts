/**
 * Keeps every served environment's newest snapshot in memory, following protocol.ts:
 * - start: the last-known-good disk copies first, then Redis (envelopes, kills), bounded by a timeout;
 * - pub/sub hints: fetch a newer version once per environment however many hints arrive
 *   (single-flight), compile it, swap it in with one reference assignment;
 * - a periodic version check heals missed hints and kill changes; a reconnect resyncs at once;
 * - never goes back to an older version, never drops a state because Redis is down.
 */
import { Redis } from 'ioredis';
import {
  redisClientOptions,
  redisKeys,
  type ChangeMessage,
  type EmergencyKill,
  type RedisKeys,
  type RedisSentinelSettings,
  type SnapshotEnvelope,
} from '../../propagation/index.ts';
import type { Logger } from '../logger.ts';
import type { EngineView } from '../ofrep/engine-view.ts';
import { envelopeProblem, ServedEnvironment, type StateSource } from './served-environment.ts';
import { FileLastKnownGood } from './last-known-good.ts';

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
  readonly stats: SnapshotFollowerStats = { fetches: 0, swaps: 0, versionChecks: 0 };
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
        const envelope = JSON.parse(saved.envelope) as SnapshotEnvelope;
        const problem = envelopeProblem(envelope, saved.environment);
        if (problem !== undefined) {
          logger.warn(`ignoring last-known-good copy of ${saved.environment}: ${problem}`);
          continue;
        }
        this.install(envelope, saved.envelope, saved.kills, 'disk');
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
      if (current === undefined || message.version > current.version) void this.request(env, message.version);
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

  /** One envelope + kills fetch; returns the version found in Redis. */
  private async fetch(env: string): Promise<number | undefined> {
    const cmd = this.cmd;
    if (cmd === undefined || cmd.status !== 'ready') return undefined;
    this.stats.fetches++;
    const replies = await cmd.pipeline().get(this.keys.snapshot(env)).hgetall(this.keys.kills(env)).exec();
    if (replies === null) return undefined;
    const [[snapshotError, raw], [killsError, killHash]] = replies as [
      [Error | null, string | null],
      [Error | null, Record<string, string>],
    ];
    if (snapshotError !== null) throw snapshotError;
    if (raw === null) return undefined;
    let envelope: SnapshotEnvelope;
    try {
      envelope = JSON.parse(raw) as SnapshotEnvelope;
    } catch (e) {
      return this.reject(env, undefined, `envelope is not JSON: ${(e as Error).message}`);
    }
    const problem = envelopeProblem(envelope, env);
    if (problem !== undefined)
      return this.reject(env, (envelope as Partial<SnapshotEnvelope>)?.snapshot?.version, problem);
    const version = envelope.snapshot.version;
    const current = this.states.get(env);
    const kills = killsError === null ? parseKills(killHash, this.options.logger) : (current?.kills ?? {});
    if (current !== undefined && version <= current.version) {
      if (version === current.version && !current.sameKills(kills))
        this.install(current.envelope, current.rawEnvelope, kills, 'redis');
      return version;
    }
    try {
      this.install(envelope, raw, kills, 'redis');
    } catch (e) {
      return this.reject(env, version, `snapshot could not be compiled: ${(e as Error).message}`);
    }
    return version;
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
      if (!latest.sameKills(kills)) this.install(latest.envelope, latest.rawEnvelope, kills, 'redis');
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
            if (!current.sameKills(kills)) this.install(current.envelope, current.rawEnvelope, kills, 'redis');
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
    raw: string,
    kills: Record<string, EmergencyKill>,
    source: StateSource,
  ): void {
    const env = envelope.snapshot.environment;
    const previous = this.states.get(env);
    if (previous !== undefined && envelope.snapshot.version < previous.version) return; // never go back
    const state = new ServedEnvironment(envelope, raw, kills, source, Date.now());
    this.states.set(env, state);
    this.stats.swaps++;
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
      (previous === undefined || previous.rawEnvelope !== raw || previous.killed.join() !== state.killed.join())
    ) {
      void this.lkg.save({ environment: env, envelope: raw, kills, savedAt: Date.now() });
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
