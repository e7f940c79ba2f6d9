/**
 * The publisher's Redis side, in Lua so each step is atomic (../lua/publish-snapshot-6.lua and
 * its siblings): storing an envelope, its version, the environments set entry and the
 * ChangeMessage happen together or not at all, and never move an environment's version
 * backwards (a slow publisher holding an older version loses). The evaluators' side of the same
 * keys is their RedisSnapshotFollower.
 */
import {
  type ChangeMessage,
  type EmergencyKill,
  type EnvelopeDelta,
  INLINE_CHANGE_MAX_CHARS,
  redisKeys,
  type RedisKeys,
  type SnapshotEnvelope,
} from '@flagship/evaluator/propagation';
import type { Redis } from 'ioredis';
import { type LuaCommands, luaCommands } from '../lua/lua-commands.ts';
import { PublishLocks } from './publish-lock.ts';

export type PublishOutcome = { published: true } | { published: false; currentVersion: number };

/** A delta publish: stored; no full snapshot to build on; or Redis holds another version than the base. */
export type DeltaOutcome =
  | { published: true; inline: boolean }
  | { published: false; reason: 'no-snapshot' }
  | { published: false; reason: 'moved'; currentVersion: number };

/** A held lock; `release` only deletes it while it is still ours. */
export interface Lock {
  release(): Promise<void>;
}

export class RedisSnapshotWriter {
  readonly keys: RedisKeys;
  private readonly lua: LuaCommands;
  private readonly locks: PublishLocks;

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
  ) {
    this.keys = redisKeys(prefix);
    this.lua = luaCommands(redis);
    this.locks = new PublishLocks(redis);
  }

  /**
   * Stores the envelope as the environment's version unless Redis already holds that version or
   * a newer one; clears the kill entries of `clearKills` (flags the envelope has disabled).
   */
  async publish(envelope: SnapshotEnvelope, clearKills: readonly string[] = []): Promise<PublishOutcome> {
    const env = envelope.snapshot.environment;
    const version = envelope.snapshot.version;
    const message: ChangeMessage = {
      type: 'snapshot',
      environment: env,
      version,
      publishedAt: envelope.publishedAt,
      // The commit time travels with the hint too, so a follower can tell commit -> served.
      ...(envelope.committedAt === undefined ? {} : { committedAt: envelope.committedAt }),
    };
    const r = await this.lua.fsPublishSnapshot(
      this.keys.snapshot(env),
      this.keys.version(env),
      this.keys.environments,
      this.keys.changes,
      this.keys.kills(env),
      this.keys.deltas(env),
      String(version),
      JSON.stringify(envelope),
      env,
      JSON.stringify(message),
      ...clearKills,
    );
    return r === -1 ? { published: true } : { published: false, currentVersion: r };
  }

  async unpublish(environmentId: string): Promise<void> {
    await this.lua.fsUnpublishSnapshot(
      this.keys.snapshot(environmentId),
      this.keys.version(environmentId),
      this.keys.environments,
      this.keys.deltas(environmentId),
      environmentId,
    );
  }

  /**
   * Stores `change` as the delta onto `base` (the version Redis holds, as the caller read it),
   * clears the kill entries of `clearKills`, and sends the change message, with the delta inline
   * when it is small (INLINE_CHANGE_MAX_CHARS): followers at `base` then apply it with no read.
   */
  async publishDelta(change: EnvelopeDelta, clearKills: readonly string[] = []): Promise<DeltaOutcome> {
    const { environment: env, version, base } = change.delta;
    const entry = JSON.stringify(change);
    const inline = entry.length <= INLINE_CHANGE_MAX_CHARS;
    const message: ChangeMessage = {
      type: 'snapshot',
      environment: env,
      version,
      publishedAt: change.publishedAt,
      ...(change.committedAt === undefined ? {} : { committedAt: change.committedAt }),
      base,
    };
    const text = inline ? `${JSON.stringify(message).slice(0, -1)},"change":${entry}}` : JSON.stringify(message);
    const r = await this.lua.fsPublishDelta(
      this.keys.snapshot(env),
      this.keys.version(env),
      this.keys.deltas(env),
      this.keys.changes,
      this.keys.kills(env),
      String(version),
      String(base),
      entry,
      text,
      ...clearKills,
    );
    if (r === -1) return { published: true, inline };
    if (r === -2) return { published: false, reason: 'no-snapshot' };
    return { published: false, reason: 'moved', currentVersion: r };
  }

  /** Deltas held after the full snapshot: the publisher compacts when there are many. */
  async deltaCount(environmentId: string): Promise<number> {
    return this.redis.zcard(this.keys.deltas(environmentId));
  }

  /**
   * Replaces the full snapshot by `envelope` (at the version Redis holds) and drops the deltas it
   * covers; false when another version was published meanwhile (nothing written).
   */
  async compact(envelope: SnapshotEnvelope): Promise<boolean> {
    const env = envelope.snapshot.environment;
    const r = await this.lua.fsCompactSnapshot(
      this.keys.snapshot(env),
      this.keys.version(env),
      this.keys.deltas(env),
      String(envelope.snapshot.version),
      JSON.stringify(envelope),
    );
    return r === 1;
  }

  /** The version Redis holds for the environment (0 when none). */
  async version(environmentId: string): Promise<number> {
    return Number((await this.redis.get(this.keys.version(environmentId))) ?? 0);
  }

  /** Environments whose snapshot key is absent (e.g. Redis restarted empty). */
  async missingSnapshots(environmentIds: readonly string[]): Promise<string[]> {
    if (environmentIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of environmentIds) pipeline.exists(this.keys.snapshot(id));
    const replies = (await pipeline.exec()) ?? [];
    return environmentIds.filter((_, i) => {
      const [error, n] = replies[i] ?? [new Error('no reply')];
      if (error) throw error;
      return n === 0;
    });
  }

  /** The environment's emergency kill entries (flag -> entry). */
  async kills(environmentId: string): Promise<Map<string, EmergencyKill>> {
    const raw = await this.redis.hgetall(this.keys.kills(environmentId));
    return new Map(Object.entries(raw).map(([flag, json]) => [flag, JSON.parse(json) as EmergencyKill]));
  }

  /** SET NX PX with a random token, renewed while held (publish-lock.ts): undefined when another process holds it. */
  tryLock(key: string, ttlMs: number): Promise<Lock | undefined> {
    return this.locks.tryLock(key, ttlMs);
  }
}
