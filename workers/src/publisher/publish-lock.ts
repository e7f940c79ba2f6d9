/**
 * The publisher's per-environment lock (snapshot-publisher.ts): SET NX PX with a random token, a
 * short TTL the holder renews while it works, and a release that deletes only its own token
 * (../lua/release-lock-1.lua; the renewal is ../lua/renew-lock-1.lua).
 *
 * Why a short renewed TTL rather than one long enough for any publish: a lock can outlive its
 * holder's release. When the Redis primary dies between a publish and the release, the promoted
 * replica holds the replicated lock and the release never reached it; a TTL of 10 s held that
 * environment's next publish 10 s after the kill (docs/operations.md, "Redis high availability
 * (Sentinel)"). Renewed every third of the TTL, a 2 s lock is never lost by a live holder unless its
 * event loop stalls for more than 1.3 s, and an orphan frees itself within 2 s. Losing it early
 * costs duplicate work, never correctness: versions come from the database and the publish Lua
 * refuses anything not newer than what Redis holds.
 *
 * Why SET NX that answers "exists" can still be ours: ioredis resends a command whose reply a
 * dropped connection lost (autoResendUnfulfilledCommands; a Sentinel `+switch-master` drops
 * connections on purpose). A resent SET NX finds the key its first run wrote and answers nil, so a
 * nil is checked against our token before the lock counts as another holder's.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type LuaCommands, luaCommands } from '../lua/lua-commands.ts';

/** An orphaned lock (holder gone, release lost) frees itself after this. */
export const PUBLISH_LOCK_TTL_MS = 2_000;

/** A held lock; `release` only deletes it while it is still ours. */
export interface PublishLock {
  /** False once a renewal found the key gone or another holder's (this holder stalled past the TTL). */
  readonly held: boolean;
  release(): Promise<void>;
}

export interface PublishLockOptions {
  /** TTL of the key; renewed every `ttlMs / 3`. Default {@link PUBLISH_LOCK_TTL_MS}. */
  ttlMs?: number;
}

/** Takes and holds publish locks on one connection (the publisher's command connection). */
export class PublishLocks {
  private readonly ttlMs: number;
  private readonly lua: LuaCommands;

  constructor(
    private readonly redis: Redis,
    options: PublishLockOptions = {},
  ) {
    this.ttlMs = checkTtl(options.ttlMs ?? PUBLISH_LOCK_TTL_MS);
    this.lua = luaCommands(redis);
  }

  /**
   * Takes the lock at `key` (TTL `ttlMs`, default the constructor's), or resolves undefined when
   * another holder has it. Redis errors reject.
   */
  async tryLock(key: string, ttlMs = this.ttlMs): Promise<PublishLock | undefined> {
    checkTtl(ttlMs);
    const { redis, lua } = this;
    const token = randomBytes(12).toString('hex');
    const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK' && (await redis.get(key)) !== token) return undefined;
    let held = true;
    let released = false;
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        renewing = lua.fsRenewLock(key, token, String(ttlMs)).then(
          (n) => {
            if (n === 0 && !released) held = false;
          },
          // Redis unreachable: the key expires by itself if this holder never reaches it again.
          () => {},
        );
      },
      Math.floor(ttlMs / 3),
    );
    timer.unref();
    return {
      get held() {
        return held;
      },
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        await renewing;
        // A release Redis never got leaves the key to its (short) TTL.
        await lua.fsReleaseLock(key, token).catch(() => {});
      },
    };
  }
}

function checkTtl(ttlMs: number): number {
  if (!Number.isInteger(ttlMs) || ttlMs < 30)
    throw new Error(`PublishLocks: ttlMs must be an integer >= 30, got ${ttlMs}`);
  return ttlMs;
}
