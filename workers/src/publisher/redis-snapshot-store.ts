/**
 * The publisher's Redis side, in Lua so each step is atomic: storing an envelope, its version,
 * the environments set entry and the ChangeMessage happen together or not at all, and never
 * move an environment's version backwards (a slow publisher holding an older version loses).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { propagationKeys } from '../../../controller/src/propagation/propagation-keys.ts';
import { type ChangeMessage, type EmergencyKill, redisKeys, type SnapshotEnvelope } from '../../../evaluator/src/propagation/protocol.ts';

// KEYS: snapshot, version, environments, changes, kills
// ARGV: version, envelope JSON, environment id, message JSON, flags whose kill entry to clear...
const PUBLISH = `
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local version = tonumber(ARGV[1])
if version <= current then return current end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
for i = 5, #ARGV do redis.call('HDEL', KEYS[5], ARGV[i]) end
redis.call('PUBLISH', KEYS[4], ARGV[4])
return -1
`;

// KEYS: snapshot, version, environments. Removes a deleted environment's snapshot; keeps the
// version key so a re-created environment still only moves forward.
const UNPUBLISH = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[1])
return 1
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export type PublishOutcome = { published: true } | { published: false; currentVersion: number };

/** A held lock; `release` only deletes it while it is still ours. */
export interface Lock {
  release(): Promise<void>;
}

export class RedisSnapshotStore {
  readonly keys;
  readonly pkeys;

  constructor(readonly redis: Redis, readonly prefix: string) {
    this.keys = redisKeys(prefix);
    this.pkeys = propagationKeys(prefix);
    redis.defineCommand('fsPublishSnapshot', { numberOfKeys: 5, lua: PUBLISH });
    redis.defineCommand('fsUnpublishSnapshot', { numberOfKeys: 3, lua: UNPUBLISH });
    redis.defineCommand('fsReleaseLock', { numberOfKeys: 1, lua: RELEASE });
  }

  /**
   * Stores the envelope as the environment's version unless Redis already holds that version or
   * a newer one; clears the kill entries of `clearKills` (flags the envelope has disabled).
   */
  async publish(envelope: SnapshotEnvelope, clearKills: readonly string[] = []): Promise<PublishOutcome> {
    const env = envelope.snapshot.environment;
    const version = envelope.snapshot.version;
    const message: ChangeMessage = { type: 'snapshot', environment: env, version, publishedAt: envelope.publishedAt };
    const r = await (this.redis as unknown as Cmds).fsPublishSnapshot(
      this.keys.snapshot(env), this.keys.version(env), this.keys.environments, this.keys.changes, this.keys.kills(env),
      String(version), JSON.stringify(envelope), env, JSON.stringify(message), ...clearKills,
    );
    return r === -1 ? { published: true } : { published: false, currentVersion: r };
  }

  async unpublish(environmentId: string): Promise<void> {
    await (this.redis as unknown as Cmds).fsUnpublishSnapshot(this.keys.snapshot(environmentId), this.keys.version(environmentId), this.keys.environments, environmentId);
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

  /** SET NX PX with a random token: undefined when another process holds it. */
  async tryLock(key: string, ttlMs: number): Promise<Lock | undefined> {
    const token = randomBytes(12).toString('hex');
    const ok = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return undefined;
    const cmds = this.redis as unknown as Cmds;
    return {
      release: async () => {
        await cmds.fsReleaseLock(key, token).catch(() => {});
      },
    };
  }
}

interface Cmds {
  fsPublishSnapshot(...args: string[]): Promise<number>;
  fsUnpublishSnapshot(...args: string[]): Promise<number>;
  fsReleaseLock(...args: string[]): Promise<number>;
}
