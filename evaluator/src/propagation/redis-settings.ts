/**
 * The one reader of the settings every process shares to meet in Redis: REDIS_URL,
 * REDIS_KEY_PREFIX, and Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME). The controller's, the
 * workers' and the evaluator's `config.ts` call it, so the three accept and refuse the same values
 * with the same message; {@link redisClientOptions} turns the result into ioredis options, so every
 * connection of the product reaches the same Redis the same way (docs/operations.md, "Redis high
 * availability (Sentinel)").
 */
import type { RedisOptions } from 'ioredis';
import { maskUrl } from '../support/mask-url.ts';
import { DEFAULT_KEY_PREFIX } from './redis-keys.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** The master name Sentinel's own sample configuration uses. */
export const DEFAULT_SENTINEL_NAME = 'mymaster';
/** Sentinel's registered port, for a REDIS_SENTINELS entry without one. */
export const DEFAULT_SENTINEL_PORT = 26379;
/** More sentinels than this is a typo, not a deployment (Redis's docs use 3 or 5). */
const MAX_SENTINELS = 16;

/** One sentinel to ask where the primary is. */
export interface SentinelAddress {
  host: string;
  port: number;
}

/** Redis reached through Sentinel: ask these sentinels for the primary of the master `name`. */
export interface RedisSentinelSettings {
  /** REDIS_SENTINELS, in the order given (ioredis asks them in turn). */
  sentinels: SentinelAddress[];
  /** REDIS_SENTINEL_NAME (default `mymaster`). */
  name: string;
}

export interface RedisSettings {
  /**
   * `redis://host:port[/db]` or `rediss://...`. With Sentinel, its host and port are not used;
   * its user, password, db and scheme (rediss: TLS) still are.
   */
  redisUrl: string;
  /** Prefix of every propagation key and channel (redis-keys.ts); tests use their own. */
  keyPrefix: string;
  /** Undefined: REDIS_URL's host is the one Redis (no failover). */
  redisSentinel: RedisSentinelSettings | undefined;
}

/** What {@link redisClientOptions} needs: any process's config holds these two fields. */
export type RedisConnection = Pick<RedisSettings, 'redisUrl'> & {
  redisSentinel?: RedisSentinelSettings | undefined;
};

/** A bad value, with a message naming the variable; `setting` says which field it is. */
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
    // The path is the db number; ioredis would send anything else to SELECT and fail every connect.
    if ((u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '' && /^(\/\d{0,5})?$/.test(u.pathname))
      return undefined;
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
 * The problem with a region label (REGION of the evaluator and the workers, an entry of REGIONS of
 * the workers and the controller: docs/regions.md), or undefined when it is usable: 1..32 of
 * a-z, 0-9 and -. Here because the label is part of what meets in Redis (the heartbeat's
 * `region`, the `<region>/<instance>` fields of `served:<env>`, which split at the first `/`), so
 * every process must accept the same labels. `variable` names the setting in the message.
 */
export function regionLabelProblem(label: string, variable: 'REGION' | 'REGIONS' = 'REGION'): string | undefined {
  if (/^[a-z0-9-]{1,32}$/.test(label)) return undefined;
  const what = variable === 'REGIONS' ? 'REGIONS entries' : 'REGION';
  return `${what} must be 1..32 of a-z, 0-9 and -, got ${JSON.stringify(label)}`;
}

/** REGIONS (a comma list of region labels, each once; empty or unset: none) parsed, or the problem with it. */
export function parseRegions(raw: string | undefined): string[] | string {
  const regions = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const r of regions) {
    const problem = regionLabelProblem(r, 'REGIONS');
    if (problem !== undefined) return problem;
  }
  const twice = regions.find((r, i) => regions.indexOf(r) !== i);
  return twice === undefined ? regions : `REGIONS lists ${JSON.stringify(twice)} twice`;
}

/**
 * REDIS_SENTINELS (`host[:port]` comma list; `[v6]:port` for IPv6; the port defaults to 26379)
 * parsed, or the problem with it.
 */
export function parseSentinels(raw: string): SentinelAddress[] | string {
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) return `REDIS_SENTINELS must list host:port entries, got ${JSON.stringify(raw)}`;
  if (entries.length > MAX_SENTINELS)
    return `REDIS_SENTINELS may list at most ${MAX_SENTINELS} sentinels, got ${entries.length}`;
  const out: SentinelAddress[] = [];
  for (const entry of entries) {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(entry);
    const port = m?.[3] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[3]);
    if (m === null || port < 1 || port > 65535)
      return `REDIS_SENTINELS entries must be host:port (port 1..65535), got ${JSON.stringify(entry)}`;
    const host = m[1] ?? m[2]!;
    if (out.some((s) => s.host === host && s.port === port))
      return `REDIS_SENTINELS lists ${JSON.stringify(entry)} twice`;
    out.push({ host, port });
  }
  return out;
}

/** The problem with a REDIS_SENTINEL_NAME value (Sentinel's charset: letters, digits, . - _), or undefined. */
export function sentinelNameProblem(name: string): string | undefined {
  if (/^[A-Za-z0-9._-]{1,128}$/.test(name)) return undefined;
  return `REDIS_SENTINEL_NAME may hold letters, digits, . - _ (1..128), got ${JSON.stringify(name)}`;
}

/**
 * Reads REDIS_URL (default redis://127.0.0.1:6379; empty counts as unset), REDIS_KEY_PREFIX
 * (default `fs:`; empty is a valid prefix), REDIS_SENTINELS (unset or empty: no Sentinel) and
 * REDIS_SENTINEL_NAME (default `mymaster`; refused without REDIS_SENTINELS, since the operator
 * meant a failover the process would not do). Throws {@link RedisSettingsError} on a bad value.
 */
export function readRedisSettings(env: Record<string, string | undefined>): RedisSettings {
  const rawUrl = env.REDIS_URL?.trim();
  const redisUrl = rawUrl === undefined || rawUrl === '' ? DEFAULT_REDIS_URL : rawUrl;
  const keyPrefix = env.REDIS_KEY_PREFIX ?? DEFAULT_KEY_PREFIX;
  const urlProblem = redisUrlProblem(redisUrl);
  if (urlProblem !== undefined) throw new RedisSettingsError('redisUrl', urlProblem);
  const prefixProblem = keyPrefixProblem(keyPrefix);
  if (prefixProblem !== undefined) throw new RedisSettingsError('keyPrefix', prefixProblem);
  return { redisUrl, keyPrefix, redisSentinel: readSentinel(env) };
}

function readSentinel(env: Record<string, string | undefined>): RedisSentinelSettings | undefined {
  const rawSentinels = env.REDIS_SENTINELS?.trim() ?? '';
  const rawName = env.REDIS_SENTINEL_NAME?.trim() ?? '';
  if (rawSentinels === '') {
    if (rawName !== '')
      throw new RedisSettingsError(
        'redisSentinel',
        `REDIS_SENTINEL_NAME is set (${JSON.stringify(rawName)}) but REDIS_SENTINELS is not: list the sentinels, or unset REDIS_SENTINEL_NAME`,
      );
    return undefined;
  }
  const sentinels = parseSentinels(rawSentinels);
  if (typeof sentinels === 'string') throw new RedisSettingsError('redisSentinel', sentinels);
  const name = rawName === '' ? DEFAULT_SENTINEL_NAME : rawName;
  const nameProblem = sentinelNameProblem(name);
  if (nameProblem !== undefined) throw new RedisSettingsError('redisSentinel', nameProblem);
  return { sentinels, name };
}

/**
 * The ioredis options of one connection: REDIS_URL's host, port, user, password, db and TLS
 * (rediss:) and its query parameters as ioredis reads them; or, with Sentinel, ioredis's own
 * Sentinel support (`sentinels`, `name`) with REDIS_URL's user, password, db and TLS applied to
 * the primary (and TLS to the sentinels too: one deployment, one transport). `overrides` (retry
 * and queueing policy of the caller) win. Use as `new Redis(redisClientOptions(config, {...}))`.
 */
export function redisClientOptions(connection: RedisConnection, overrides: RedisOptions = {}): RedisOptions {
  const u = new URL(connection.redisUrl);
  const tls = u.protocol === 'rediss:';
  const common: RedisOptions = {
    ...(u.username !== '' || u.password !== ''
      ? { username: decodeURIComponent(u.username) || undefined, password: decodeURIComponent(u.password) }
      : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(tls ? { tls: {} } : {}),
  };
  const s = connection.redisSentinel;
  if (s === undefined) {
    const query: Record<string, string | number> = {};
    // ioredis's own URL parsing turns `family` into a number and keeps the rest as strings.
    u.searchParams.forEach((v, k) => (query[k] = k === 'family' && /^\d+$/.test(v) ? Number(v) : v));
    return {
      ...query,
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port === '' ? 6379 : Number(u.port),
      ...common,
      ...overrides,
    };
  }
  return {
    sentinels: s.sentinels.map((a) => ({ host: a.host, port: a.port })),
    name: s.name,
    ...common,
    ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    // Sentinel publishes +switch-master when it promotes a replica: drop the connection to the old
    // primary at once instead of waiting for it to fail (it may still be up, demoted).
    failoverDetector: true,
    // A command that reached a primary just demoted to replica answers READONLY: reconnect (ioredis
    // asks the sentinels again) and resend it. Only here: without Sentinel, REDIS_URL naming a
    // replica would loop.
    reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 2 : false),
    ...overrides,
  };
}

/** Where a connection goes, for start-up lines: the masked URL, or the sentinels and master name. */
export function describeRedis(connection: RedisConnection): string {
  const s = connection.redisSentinel;
  if (s === undefined) return maskUrl(connection.redisUrl);
  const hosts = s.sentinels.map((a) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`));
  return `Sentinel master ${s.name} via ${hosts.join(',')} (${maskUrl(connection.redisUrl)} for auth/db/TLS)`;
}
