/**
 * The evaluator server's configuration: the one place that reads `process.env` (via
 * {@link readEvaluatorConfig}), plus the defaults and validation every other entry point
 * (tests, the benchmark, the stack launcher) goes through with {@link resolveEvaluatorConfig}.
 * REDIS_URL, REDIS_KEY_PREFIX and the Sentinel settings are read by the one reader the controller
 * and the workers use too (propagation/redis-settings.ts), so the three processes accept the same values.
 */
import {
  DEFAULT_KEY_PREFIX,
  DEFAULT_REDIS_URL,
  keyPrefixProblem,
  readRedisSettings,
  redisUrlProblem,
  RedisSettingsError,
  regionLabelProblem,
  sentinelNameProblem,
  type RedisSentinelSettings,
  type RedisSettings,
} from '../propagation/index.ts';

/** Everything an evaluator server needs; see {@link resolveEvaluatorConfig} for the defaults. */
export interface EvaluatorConfig {
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  host: string;
  /**
   * Port of the admin listener (`/metrics`, the detail of `/readyz`), always on 127.0.0.1
   * (docs/operations.md, "Evaluator admission"). Default: `port + 1000`, or 0 (a free one) when
   * `port` is 0.
   */
  adminPort: number;
  redisUrl: string;
  /** REDIS_SENTINELS / REDIS_SENTINEL_NAME: find the primary through Sentinel; undefined: REDIS_URL's host. */
  redisSentinel?: RedisSentinelSettings | undefined;
  /** Prefix of every propagation key (propagation/redis-keys.ts); tests use their own so they never collide. */
  keyPrefix: string;
  /** Environment ids to serve; empty: every id in the environments set. */
  environments: string[];
  /** Folder for the last-known-good copy of each environment's envelope. */
  dataDir: string;
  /** Requests being handled at once above which new ones get 429 instead of queueing. */
  maxInFlight: number;
  /** Event-loop lag (ms) above which new requests get 429. 0 disables the check. */
  maxEventLoopLagMs: number;
  /** Largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: number;
  /**
   * A request's headers and body must have arrived within this many ms of its first byte;
   * otherwise it is answered 408 and its connection closed. Until its body has ended a request
   * holds no in-flight slot, so this bounds what a slow sender costs, not who else is served.
   */
  bodyTimeoutMs: number;
  /** Open SSE streams per process above which a new one gets 429. */
  sseMaxStreams: number;
  /** Open SSE streams per SDK key (per process) above which a new one of that key gets 429. */
  sseMaxStreamsPerKey: number;
  /** Deepest JSON nesting accepted inside `context`. */
  maxContextDepth: number;
  /** Period of the version check that heals missed pub/sub messages (ms). */
  versionCheckMs: number;
  /** How long start() waits for Redis before serving from disk (ms). */
  redisConnectTimeoutMs: number;
  /** Reconnect backoff: first delay and cap (ms); each delay is jittered. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** SSE comment heartbeat period (ms). */
  sseHeartbeatMs: number;
  /**
   * The largest snapshot (JSON bytes) a `/v1/stream?include=snapshot` change event carries inline;
   * a larger one is announced by ETag only and fetched. 0 turns inline snapshots off.
   */
  sseInlineMaxBytes: number;
  /**
   * Believe `X-Forwarded-Proto` and `X-Forwarded-Host` when advertising the event-stream URL
   * (behind a proxy that sets them; otherwise a client could make the evaluator advertise any host).
   */
  trustProxy: boolean;
  /** Lifetime of the stream tokens in advertised event-stream URLs (s); a token is handed out with at least half left. */
  streamTokenTtlSec: number;
  /**
   * REGION: the region this evaluator serves ([a-z0-9-]{1,32}), the label of its replication
   * metrics and of its served-version reports (docs/regions.md).
   */
  region: string;
  /**
   * REDIS_READ_URL: the Redis the snapshot follower reads (a replica in this region), without
   * Sentinel; `redisUrl` / `redisSentinel` then stay the home primary, written only with the
   * served-version reports. Undefined: the follower reads `redisUrl` too.
   */
  redisReadUrl?: string | undefined;
  /** Replication staleness (ms) above which this evaluator counts as cut off from the home region. */
  staleAfterMs: number;
}

/** The region of an evaluator started without REGION: the home region's own fleet. */
export const DEFAULT_REGION = 'home';

/** Defaults for every field (port 4100, Redis on localhost, all environments). */
export function defaultEvaluatorConfig(): EvaluatorConfig {
  return {
    port: 4100,
    host: '127.0.0.1',
    adminPort: 5100,
    redisUrl: DEFAULT_REDIS_URL,
    keyPrefix: DEFAULT_KEY_PREFIX,
    environments: [],
    dataDir: './data/evaluator-4100',
    maxInFlight: 1024,
    maxEventLoopLagMs: 500,
    maxBodyBytes: 64 * 1024,
    bodyTimeoutMs: 2000,
    sseMaxStreams: 10_000,
    sseMaxStreamsPerKey: 1000,
    maxContextDepth: 32,
    versionCheckMs: 1500,
    redisConnectTimeoutMs: 2000,
    reconnectBaseMs: 50,
    reconnectMaxMs: 2000,
    sseHeartbeatMs: 15_000,
    sseInlineMaxBytes: 256 * 1024,
    trustProxy: false,
    streamTokenTtlSec: 600,
    region: DEFAULT_REGION,
    staleAfterMs: 3000,
  };
}

/** A configuration value that cannot be used; the message names the variable and the value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Merges `overrides` over the defaults and validates the result; throws {@link ConfigError}. */
export function resolveEvaluatorConfig(overrides: Partial<EvaluatorConfig> = {}): EvaluatorConfig {
  const defaults = defaultEvaluatorConfig();
  const port = overrides.port ?? defaults.port;
  const config: EvaluatorConfig = {
    ...defaults,
    dataDir: `./data/evaluator-${port}`,
    adminPort: port === 0 ? 0 : port + 1000,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  const int = (name: keyof EvaluatorConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = config[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
    }
  };
  int('port', 0, 65535);
  int('adminPort', 0, 65535);
  if (config.adminPort !== 0 && config.adminPort === config.port)
    throw new ConfigError(`adminPort must differ from port (both ${config.port})`);
  int('maxInFlight', 1);
  int('maxEventLoopLagMs', 0);
  int('maxBodyBytes', 64);
  int('bodyTimeoutMs', 100, 600_000);
  int('sseMaxStreams', 1);
  int('sseMaxStreamsPerKey', 1);
  int('maxContextDepth', 1, 1000);
  int('versionCheckMs', 10);
  int('redisConnectTimeoutMs', 0);
  int('reconnectBaseMs', 1);
  int('reconnectMaxMs', 1);
  int('sseHeartbeatMs', 10);
  int('sseInlineMaxBytes', 0, 64 * 1024 * 1024);
  int('streamTokenTtlSec', 2, 86_400);
  int('staleAfterMs', 100, 3_600_000);
  const badRegion = typeof config.region === 'string' ? regionLabelProblem(config.region) : 'REGION must be a string';
  if (badRegion !== undefined) throw new ConfigError(`region: ${badRegion}`);
  if (config.redisReadUrl !== undefined) {
    const readProblem = redisUrlProblem(config.redisReadUrl);
    if (readProblem !== undefined)
      throw new ConfigError(`redisReadUrl: ${readProblem.replace(/^REDIS_URL/, 'REDIS_READ_URL')}`);
  }
  if (typeof config.trustProxy !== 'boolean') throw new ConfigError('trustProxy must be a boolean');
  if (config.reconnectMaxMs < config.reconnectBaseMs)
    throw new ConfigError('reconnectMaxMs must be >= reconnectBaseMs');
  const urlProblem = redisUrlProblem(config.redisUrl);
  if (urlProblem !== undefined) throw new ConfigError(`redisUrl: ${urlProblem}`);
  const prefixProblem = keyPrefixProblem(config.keyPrefix);
  if (prefixProblem !== undefined) throw new ConfigError(`keyPrefix: ${prefixProblem}`);
  if (config.redisSentinel !== undefined) {
    if (config.redisSentinel.sentinels.length === 0)
      throw new ConfigError('redisSentinel: REDIS_SENTINELS must list host:port entries, got none');
    const nameProblem = sentinelNameProblem(config.redisSentinel.name);
    if (nameProblem !== undefined) throw new ConfigError(`redisSentinel: ${nameProblem}`);
  }
  if (config.host.length === 0) throw new ConfigError('host must not be empty');
  if (config.dataDir.length === 0) throw new ConfigError('dataDir must not be empty');
  for (const env of config.environments) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(env))
      throw new ConfigError(`environment id ${JSON.stringify(env)} is not valid (letters, digits, . _ -)`);
  }
  return config;
}

/**
 * Reads EVALUATOR_PORT (default 4100), EVALUATOR_HOST (127.0.0.1), REDIS_URL
 * (redis://127.0.0.1:6379), REDIS_KEY_PREFIX (fs:; empty is a valid prefix), REDIS_SENTINELS and
 * REDIS_SENTINEL_NAME (mymaster) through readRedisSettings, EVALUATOR_DATA_DIR (./data/evaluator-<port>), EVALUATOR_ENVIRONMENTS (comma list; empty: all), EVALUATOR_MAX_IN_FLIGHT (1024),
 * EVALUATOR_ADMIN_PORT (EVALUATOR_PORT + 1000; the admin listener is always on 127.0.0.1),
 * EVALUATOR_BODY_TIMEOUT_MS (2000), EVALUATOR_SSE_MAX_STREAMS (10000),
 * EVALUATOR_SSE_MAX_STREAMS_PER_KEY (1000), EVALUATOR_TRUST_PROXY (1 or 0; default 0),
 * EVALUATOR_STREAM_TOKEN_TTL_S (600), EVALUATOR_SSE_INLINE_MAX_BYTES (262144), REGION (home),
 * REDIS_READ_URL (unset: the follower reads REDIS_URL), EVALUATOR_STALE_AFTER_MS (3000).
 */
export function readEvaluatorConfig(env: NodeJS.ProcessEnv = process.env): EvaluatorConfig {
  const text = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const integer = (name: string) => {
    const v = text(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new ConfigError(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const port = integer('EVALUATOR_PORT');
  if (port !== undefined && (port < 1 || port > 65535))
    throw new ConfigError(`EVALUATOR_PORT must be 1..65535, got ${port}`);
  const adminPort = integer('EVALUATOR_ADMIN_PORT');
  const effectivePort = port ?? 4100;
  if (adminPort === undefined && effectivePort + 1000 > 65535)
    throw new ConfigError(
      `EVALUATOR_ADMIN_PORT must be set when EVALUATOR_PORT + 1000 is above 65535 (EVALUATOR_PORT ${effectivePort})`,
    );
  if (adminPort !== undefined && (adminPort < 1 || adminPort > 65535))
    throw new ConfigError(`EVALUATOR_ADMIN_PORT must be 1..65535, got ${adminPort}`);
  if (adminPort !== undefined && adminPort === effectivePort)
    throw new ConfigError(`EVALUATOR_ADMIN_PORT must differ from EVALUATOR_PORT (both ${adminPort})`);
  const trust = text('EVALUATOR_TRUST_PROXY');
  if (trust !== undefined && trust !== '0' && trust !== '1')
    throw new ConfigError(
      `invalid evaluator configuration: EVALUATOR_TRUST_PROXY must be 1 or 0, got ${JSON.stringify(trust)}`,
    );
  const redis = redisSettings(env);
  const environments = (text('EVALUATOR_ENVIRONMENTS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  try {
    return resolveEvaluatorConfig({
      port,
      host: text('EVALUATOR_HOST'),
      redisUrl: redis.redisUrl,
      redisSentinel: redis.redisSentinel,
      keyPrefix: redis.keyPrefix,
      dataDir: text('EVALUATOR_DATA_DIR'),
      environments,
      maxInFlight: integer('EVALUATOR_MAX_IN_FLIGHT'),
      adminPort,
      bodyTimeoutMs: integer('EVALUATOR_BODY_TIMEOUT_MS'),
      sseMaxStreams: integer('EVALUATOR_SSE_MAX_STREAMS'),
      sseMaxStreamsPerKey: integer('EVALUATOR_SSE_MAX_STREAMS_PER_KEY'),
      trustProxy: trust === undefined ? undefined : trust === '1',
      streamTokenTtlSec: integer('EVALUATOR_STREAM_TOKEN_TTL_S'),
      sseInlineMaxBytes: integer('EVALUATOR_SSE_INLINE_MAX_BYTES'),
      region: text('REGION'),
      redisReadUrl: text('REDIS_READ_URL'),
      staleAfterMs: integer('EVALUATOR_STALE_AFTER_MS'),
    });
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`invalid evaluator configuration: ${e.message}`);
    throw e;
  }
}

/** {@link readRedisSettings}, its error as a ConfigError naming the config field as well as the variable. */
function redisSettings(env: NodeJS.ProcessEnv): RedisSettings {
  try {
    return readRedisSettings(env);
  } catch (e) {
    if (!(e instanceof RedisSettingsError)) throw e;
    // The field is named as in resolveEvaluatorConfig's messages, so either entry point reports the same way.
    throw new ConfigError(`invalid evaluator configuration: ${e.setting}: ${e.message}`);
  }
}
