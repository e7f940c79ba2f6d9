/**
 * The workers' one reader of the environment. A bad value stops the process at start with a
 * message naming the variable, rather than failing later in a loop.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { databaseUrlProblem, parseSecretKey, WebhookAllowList } from '@flagship/controller';
import {
  readRedisSettings,
  parseRegions,
  regionLabelProblem,
  type RedisSentinelSettings,
  RedisSettingsError,
} from '@flagship/evaluator/propagation';

export interface WorkersConfig {
  /** `mysql://...`; undefined: the controller's embedded SQLite file under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** The SQLite file the controller writes (same name as the controller's). */
  sqliteFile: string;
  redisUrl: string;
  /** REDIS_SENTINELS / REDIS_SENTINEL_NAME: the primary found through Sentinel; undefined: REDIS_URL's host. */
  redisSentinel: RedisSentinelSettings | undefined;
  /** Prefix of every Redis key and channel (redis-keys.ts of `@flagship/evaluator/propagation`, default `fs:`). */
  keyPrefix: string;
  /** How often the publisher looks at the outbox when no wake-up arrives. */
  pollIntervalMs: number;
  /** How often the safety sweep re-checks every environment's snapshot and pending kills. */
  sweepIntervalMs: number;
  /** Prometheus for rollout analysis, where a policy names no address. */
  prometheusUrl: string;
  /** Prefix of the BullMQ queues (the controller's QUEUE_PREFIX). */
  queuePrefix: string;
  /** Analysis ticks in flight in this process. */
  tickConcurrency: number;
  /** WEBHOOK_SECRET_KEY (32 bytes); undefined: the key file under dataDir, shared with the controller. */
  webhookSecretKey: Buffer | undefined;
  /** WEBHOOK_ALLOW_HOSTS: private destinations webhooks may reach. */
  webhookAllow: WebhookAllowList;
  /** Values of `${env:NAME}` references in policy headers: this process's environment, read here only. */
  policySecrets: (name: string) => string | undefined;
  /** WORKERS_METRICS_PORT: /metrics and /healthz on 127.0.0.1 (metrics/metrics-listener.ts); 0 = off. */
  metricsPort: number;
  /** REGION: the home region's label, written in the heartbeat (default `home`; docs/regions.md). */
  region: string;
  /**
   * REGIONS: the regions whose evaluators must serve a rollout step's version before its clock
   * starts (comma list; empty, the default: only the outbox rule). The rollout ticks run here.
   */
  regions: string[];
}

/** The metrics listener's port unless WORKERS_METRICS_PORT says otherwise (the controller is 4000, evaluators 4100+). */
export const DEFAULT_METRICS_PORT = 4200;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** REGION, checked as the evaluator checks its own (docs/regions.md). */
function region(env: NodeJS.ProcessEnv): string {
  const raw = env.REGION?.trim() || 'home';
  const problem = regionLabelProblem(raw);
  if (problem !== undefined) throw new ConfigError(problem);
  return raw;
}

/** REGIONS (propagation/redis-settings.ts), a bad value stopping the start. */
function regionsOf(raw: string | undefined): string[] {
  const parsed = parseRegions(raw);
  if (typeof parsed === 'string') throw new ConfigError(parsed);
  return parsed;
}

/** REDIS_URL, REDIS_KEY_PREFIX and Sentinel, read and checked like the controller and the evaluators do. */
function redisSettings(env: NodeJS.ProcessEnv) {
  try {
    return readRedisSettings(env);
  } catch (error) {
    if (error instanceof RedisSettingsError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Reads and validates; throws {@link ConfigError} on a bad value. */
export function loadWorkersConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): WorkersConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  const databaseProblem = databaseUrl === undefined ? undefined : databaseUrlProblem(databaseUrl);
  if (databaseProblem !== undefined) throw new ConfigError(databaseProblem);
  const dataDirRaw = env.DATA_DIR || 'data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  const { redisUrl, keyPrefix, redisSentinel } = redisSettings(env);
  const prometheusUrl = env.PROMETHEUS_URL || 'http://127.0.0.1:9090';
  if (!/^https?:\/\/\S+$/.test(prometheusUrl))
    throw new ConfigError(`PROMETHEUS_URL must be an http(s) URL, got ${JSON.stringify(prometheusUrl)}`);
  const queuePrefix = env.QUEUE_PREFIX || 'fsq';
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(queuePrefix))
    throw new ConfigError('QUEUE_PREFIX must be 1..64 letters, digits, ":", "_" or "-"');
  const webhookSecretKey = env.WEBHOOK_SECRET_KEY ? parseSecretKey(env.WEBHOOK_SECRET_KEY) : undefined;
  if (env.WEBHOOK_SECRET_KEY && !webhookSecretKey)
    throw new ConfigError('WEBHOOK_SECRET_KEY must be 32 bytes as 64 hex digits or base64 (e.g. openssl rand -hex 32)');
  let webhookAllow: WebhookAllowList;
  try {
    webhookAllow = WebhookAllowList.parse(env.WEBHOOK_ALLOW_HOSTS);
  } catch (e) {
    throw new ConfigError(`WEBHOOK_ALLOW_HOSTS: ${(e as Error).message}`);
  }
  const policySecrets = (name: string) => env[name];
  return {
    webhookSecretKey,
    webhookAllow,
    policySecrets,
    databaseUrl,
    dataDir,
    sqliteFile: join(dataDir, 'controller.sqlite'),
    redisUrl,
    redisSentinel,
    keyPrefix,
    prometheusUrl,
    queuePrefix,
    tickConcurrency: integer(env, 'TICK_CONCURRENCY', 100, 1, 1_000),
    pollIntervalMs: integer(env, 'PUBLISH_POLL_MS', 10, 1, 10_000),
    sweepIntervalMs: integer(env, 'SWEEP_INTERVAL_MS', 5_000, 100, 3_600_000),
    metricsPort: integer(env, 'WORKERS_METRICS_PORT', DEFAULT_METRICS_PORT, 0, 65_535),
    region: region(env),
    regions: regionsOf(env.REGIONS),
  };
}
