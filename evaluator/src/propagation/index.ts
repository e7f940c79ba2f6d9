/**
 * `@flagship/evaluator/propagation`: the Redis protocol between the snapshot publisher, the control
 * plane and the evaluator fleet (every key name, the message and envelope shapes), the one
 * API-key hasher, and the one reader of the Redis settings (with the one function that turns them
 * into ioredis options). Node-only (node:crypto); not part of
 * the engine core.
 */
export { DEFAULT_KEY_PREFIX, redisKeys, type RedisKeys } from './redis-keys.ts';
export type { ChangeMessage, ClientAccess, EmergencyKill, EnvelopeDelta, SnapshotEnvelope } from './protocol.ts';
export { INLINE_CHANGE_MAX_CHARS } from './protocol.ts';
export { hashApiKey } from './api-key-hash.ts';
export {
  DEFAULT_REDIS_URL,
  DEFAULT_SENTINEL_NAME,
  DEFAULT_SENTINEL_PORT,
  describeRedis,
  keyPrefixProblem,
  parseRegions,
  parseSentinels,
  readRedisSettings,
  redisClientOptions,
  redisUrlProblem,
  RedisSettingsError,
  regionLabelProblem,
  sentinelNameProblem,
  type RedisConnection,
  type RedisSentinelSettings,
  type RedisSettings,
  type SentinelAddress,
} from './redis-settings.ts';
// The current envelope: the full snapshot and the deltas after it (followers, tests, tools).
export { applyEnvelopeDelta, chainAfter, readCurrentEnvelope } from './current-envelope.ts';
