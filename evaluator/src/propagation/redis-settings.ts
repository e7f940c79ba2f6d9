/**
 * The one reader of the settings every process shares to meet in Redis: REDIS_URL and
 * REDIS_KEY_PREFIX. The controller's, the workers' and the evaluator's `config.ts` call it, so the
 * three accept and refuse the same values with the same message.
 */
import { DEFAULT_KEY_PREFIX } from './redis-keys.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisSettings {
  /** `redis://host:port[/db]` or `rediss://...`. */
  redisUrl: string;
  /** Prefix of every propagation key and channel (redis-keys.ts); tests use their own. */
  keyPrefix: string;
}

/** A bad value, with a message naming the variable; `setting` says which of the two it is. */
export class RedisSettingsError extends Error {
  constructor(
    readonly setting: keyof RedisSettings,
    message: string,
  ) {
    super(message);
    this.name = 'RedisSettingsError';
  }
}

/** The problem with a REDIS_URL value, or undefined when it is usable. */
export function redisUrlProblem(url: string): string | undefined {
  try {
    const u = new URL(url);
    if ((u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '') return undefined;
  } catch {
    // fall through: not a URL at all
  }
  return `REDIS_URL must be redis://host:port[/db] (or rediss://), got ${JSON.stringify(url)}`;
}

/** The problem with a REDIS_KEY_PREFIX value, or undefined when it is usable. */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (/^[\w:.-]{0,64}$/.test(prefix)) return undefined;
  return `REDIS_KEY_PREFIX may hold letters, digits, _ : . - (at most 64), got ${JSON.stringify(prefix)}`;
}

/**
 * Reads REDIS_URL (default redis://127.0.0.1:6379; empty counts as unset) and REDIS_KEY_PREFIX
 * (default `fs:`; empty is a valid prefix). Throws {@link RedisSettingsError} on a bad value.
 */
export function readRedisSettings(env: Record<string, string | undefined>): RedisSettings {
  const rawUrl = env.REDIS_URL?.trim();
  const redisUrl = rawUrl === undefined || rawUrl === '' ? DEFAULT_REDIS_URL : rawUrl;
  const keyPrefix = env.REDIS_KEY_PREFIX ?? DEFAULT_KEY_PREFIX;
  const urlProblem = redisUrlProblem(redisUrl);
  if (urlProblem !== undefined) throw new RedisSettingsError('redisUrl', urlProblem);
  const prefixProblem = keyPrefixProblem(keyPrefix);
  if (prefixProblem !== undefined) throw new RedisSettingsError('keyPrefix', prefixProblem);
  return { redisUrl, keyPrefix };
}
