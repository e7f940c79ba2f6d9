/**
 * The control plane's configuration: the only place that reads process.env. Bad values stop
 * the process at start with a message naming the variable.
 */
import { join, resolve } from 'node:path';
import {
  readRedisSettings,
  parseRegions,
  type RedisSentinelSettings,
  RedisSettingsError,
} from '@flagship/evaluator/propagation';
import { databaseUrlProblem } from './db/database-url.ts';
import { parseSecretKey } from './webhooks/secret-box.ts';
import { WebhookAllowList } from './webhooks/webhook-address.ts';

export interface Config {
  port: number;
  /** Loopback-only listener for the admin API's /metrics and /healthz (CONTROLLER_METRICS_PORT, default 4300; 0: off). */
  metricsPort: number;
  host: string;
  /** `mysql://...`; undefined means embedded SQLite at `sqliteFile`. */
  databaseUrl: string | undefined;
  dataDir: string;
  sqliteFile: string;
  /** The first admin key's token, when given. */
  adminToken: string | undefined;
  /** Redis for the outbox wake-up, the kill switch's fallback and the rollout queues. */
  redisUrl: string;
  /** REDIS_SENTINELS / REDIS_SENTINEL_NAME: the primary found through Sentinel; undefined: REDIS_URL's host. */
  redisSentinel: RedisSentinelSettings | undefined;
  /** Prefix of the propagation keys (shared with workers and evaluators). */
  redisKeyPrefix: string;
  /** Prefix of the BullMQ queues. */
  queuePrefix: string;
  /** Ramp policies (*.yaml). */
  policiesDir: string;
  /** WEBHOOK_SECRET_KEY (32 bytes); undefined: the key file under dataDir (webhooks/webhook-secret-key.ts). */
  webhookSecretKey: Buffer | undefined;
  /** WEBHOOK_ALLOW_HOSTS: private destinations webhooks may reach. */
  webhookAllow: WebhookAllowList;
  /** PROMETHEUS_URL: what the impact API queries; undefined: impact answers 503 PROMETHEUS_NOT_CONFIGURED. */
  prometheusUrl: string | undefined;
  /** PROMETHEUS_TIMEOUT_MS: per impact query (default 10 000). */
  prometheusTimeoutMs: number;
  /**
   * REGIONS: the regions whose evaluators must serve a rollout step's version before its clock
   * starts (comma list of labels, [a-z0-9-]{1,32}; empty, the default: only the outbox rule;
   * docs/regions.md). The ticks run in the workers, which read the same variable; the controller
   * checks it too, so one environment file is refused by both or neither.
   */
  regions: string[];
}

export class ConfigError extends Error {}

/** REGIONS (propagation/redis-settings.ts), a bad value stopping the start. */
function regionsOf(raw: string | undefined): string[] {
  const parsed = parseRegions(raw);
  if (typeof parsed === 'string') throw new ConfigError(parsed);
  return parsed;
}

/** The shortest ADMIN_TOKEN the controller starts with. */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

/** REDIS_URL, REDIS_KEY_PREFIX and Sentinel, read and checked like the workers and the evaluators do. */
function redisSettings(env: Record<string, string | undefined>) {
  try {
    return readRedisSettings(env);
  } catch (error) {
    if (error instanceof RedisSettingsError) throw new ConfigError(error.message);
    throw error;
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const port = env.PORT === undefined || env.PORT === '' ? 4000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT must be an integer 0..65535, got ${JSON.stringify(env.PORT)}`);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL || undefined;
  const databaseProblem = databaseUrl === undefined ? undefined : databaseUrlProblem(databaseUrl);
  if (databaseProblem !== undefined) throw new ConfigError(databaseProblem);
  const dataDir = resolve(env.DATA_DIR || './data');
  const adminToken = env.ADMIN_TOKEN || undefined;
  // 32 characters: a token a person picks is guessable at 16; generated keys have 47 (256 bits)
  // (docs/security.md). The upper bound is what the Authorization header parser accepts.
  if (
    adminToken !== undefined &&
    (adminToken.length < ADMIN_TOKEN_MIN_LENGTH || adminToken.length > 512 || /\s/.test(adminToken))
  ) {
    throw new ConfigError(
      `ADMIN_TOKEN must be ${ADMIN_TOKEN_MIN_LENGTH}..512 characters without spaces, got ${adminToken.length} characters`,
    );
  }
  const { redisUrl, keyPrefix: redisKeyPrefix, redisSentinel } = redisSettings(env);
  const queuePrefix = env.QUEUE_PREFIX || 'fsq';
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(queuePrefix))
    throw new ConfigError('QUEUE_PREFIX must be 1..64 letters, digits, ":", "_" or "-"');
  const policiesDir = resolve(env.POLICIES_DIR || './policies');
  const webhookSecretKey = env.WEBHOOK_SECRET_KEY ? parseSecretKey(env.WEBHOOK_SECRET_KEY) : undefined;
  if (env.WEBHOOK_SECRET_KEY && !webhookSecretKey)
    throw new ConfigError('WEBHOOK_SECRET_KEY must be 32 bytes as 64 hex digits or base64 (e.g. openssl rand -hex 32)');
  let webhookAllow: WebhookAllowList;
  try {
    webhookAllow = WebhookAllowList.parse(env.WEBHOOK_ALLOW_HOSTS);
  } catch (e) {
    throw new ConfigError(`WEBHOOK_ALLOW_HOSTS: ${(e as Error).message}`);
  }
  const prometheusUrl = env.PROMETHEUS_URL || undefined;
  if (prometheusUrl !== undefined && !isHttpUrl(prometheusUrl))
    throw new ConfigError('PROMETHEUS_URL must be an http(s) URL such as http://127.0.0.1:9090');
  const prometheusTimeoutMs = env.PROMETHEUS_TIMEOUT_MS ? Number(env.PROMETHEUS_TIMEOUT_MS) : 10_000;
  if (!Number.isInteger(prometheusTimeoutMs) || prometheusTimeoutMs < 100 || prometheusTimeoutMs > 120_000)
    throw new ConfigError(
      `PROMETHEUS_TIMEOUT_MS must be an integer 100..120000, got ${JSON.stringify(env.PROMETHEUS_TIMEOUT_MS)}`,
    );
  const metricsPort =
    env.CONTROLLER_METRICS_PORT === undefined || env.CONTROLLER_METRICS_PORT === ''
      ? 4300
      : Number(env.CONTROLLER_METRICS_PORT);
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)
    throw new ConfigError(
      `CONTROLLER_METRICS_PORT must be an integer 0..65535 (0: off), got ${JSON.stringify(env.CONTROLLER_METRICS_PORT)}`,
    );
  return {
    port,
    metricsPort,
    host,
    databaseUrl,
    dataDir,
    sqliteFile: join(dataDir, 'controller.sqlite'),
    adminToken,
    redisUrl,
    redisSentinel,
    redisKeyPrefix,
    queuePrefix,
    policiesDir,
    webhookSecretKey,
    webhookAllow,
    prometheusUrl,
    prometheusTimeoutMs,
    regions: regionsOf(env.REGIONS),
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
