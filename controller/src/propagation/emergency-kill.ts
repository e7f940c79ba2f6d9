/**
 * The kill switch's path around a database outage. When the kill route's transaction fails
 * because the database cannot be reached (or, embedded SQLite, stayed locked by another writer
 * past the busy bound), the route calls {@link RedisEmergencyKill.kill}: it
 * writes the protocol's `kills` hash entry and publishes a `kill` ChangeMessage for each
 * environment (evaluators serve the flag DISABLED at once), and records the kill as pending, so
 * the workers' reconciler writes it to the database, with its audit row, once the database
 * answers again. All of it is one MULTI: either the kill is pending AND visible, or neither.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type ChangeMessage, type EmergencyKill, redisKeys } from '@flagship/evaluator/propagation';
import { DatabaseBusyError } from '../db/busy-wait.ts';

/** A kill applied through Redis, waiting for its database write and audit row. */
export interface PendingKill {
  id: string;
  projectKey: string;
  flagKey: string;
  environmentIds: string[];
  actor: { keyId: string; name: string };
  reason: string;
  /** ISO-8601 time the kill was accepted. */
  at: string;
  requestId: string | null;
}

/**
 * Reads one pending-kills entry (`id` is its hash field): the kill, or what is wrong with it.
 * The reconciler sets a bad entry aside instead of letting it stop the kills queued behind it.
 */
export function parsePendingKill(id: string, json: string): { kill: PendingKill } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (error) {
    return { problem: `not JSON: ${(error as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problem: 'not an object' };
  const k = v as Record<string, unknown>;
  const text = (x: unknown) => typeof x === 'string' && x.length > 0;
  if (k.id !== id) return { problem: `id ${JSON.stringify(k.id)} is not the entry's field ${JSON.stringify(id)}` };
  for (const f of ['projectKey', 'flagKey', 'reason'] as const)
    if (typeof k[f] !== 'string' || (f !== 'reason' && !text(k[f]))) return { problem: `${f}: expected a string` };
  if (!Array.isArray(k.environmentIds) || k.environmentIds.length === 0 || !k.environmentIds.every(text))
    return { problem: 'environmentIds: expected a non-empty list of environment ids' };
  const actor = k.actor as Record<string, unknown> | null;
  if (typeof actor !== 'object' || actor === null || !text(actor.keyId) || typeof actor.name !== 'string')
    return { problem: 'actor: expected {keyId, name}' };
  if (typeof k.at !== 'string' || Number.isNaN(Date.parse(k.at))) return { problem: 'at: expected an ISO-8601 time' };
  if (k.requestId !== null && typeof k.requestId !== 'string')
    return { problem: 'requestId: expected a string or null' };
  return { kill: k as unknown as PendingKill };
}

export interface EmergencyKillRequest {
  projectKey: string;
  flagKey: string;
  /** Environment keys (not ids) of the project; undefined = every environment Redis knows for it. */
  environments?: string[] | undefined;
  actor: { keyId: string; name: string };
  reason: string;
  requestId?: string | null;
}

export interface EmergencyKillResult {
  /** The pending entry's id; the audit row's request id is `emergency-kill:<id>`. */
  id: string;
  results: Array<{ environment: string; killed: true; via: 'redis'; snapshotVersion: number }>;
}

/** Thrown when Redis knows no environment to kill in: the caller answers 503. */
export class EmergencyKillUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmergencyKillUnavailable';
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'POOL_CLOSED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);

/** True when the error (or one it wraps) says the database could not be reached or used at all. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    const errors = (e as { errors?: unknown }).errors; // AggregateError from a dual-stack connect
    if (Array.isArray(errors) && errors.some((x) => isDatabaseUnavailable(x))) return true;
  }
  return false;
}

/** Writes kills straight to Redis, for the evaluator fleet, and queues their audit. */
export class RedisEmergencyKill {
  private readonly keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = redisKeys(prefix);
  }

  async kill(req: EmergencyKillRequest): Promise<EmergencyKillResult> {
    const known = (await this.redis.smembers(this.keys.environments)).filter((id) =>
      id.startsWith(`${req.projectKey}.`),
    );
    const ids = req.environments ? [...new Set(req.environments.map((k) => `${req.projectKey}.${k}`))] : known.sort();
    const unknown = ids.filter((id) => !known.includes(id));
    if (ids.length === 0 || unknown.length > 0) {
      throw new EmergencyKillUnavailable(
        `the database is unreachable and Redis has no published snapshot for ${unknown.length > 0 ? unknown.join(', ') : `project ${req.projectKey}`}`,
      );
    }
    const versions = ids.length > 0 ? await this.redis.mget(ids.map((id) => this.keys.version(id))) : [];
    const at = this.now();
    const pending: PendingKill = {
      id: randomUUID(),
      projectKey: req.projectKey,
      flagKey: req.flagKey,
      environmentIds: ids,
      actor: req.actor,
      reason: req.reason,
      at: at.toISOString(),
      requestId: req.requestId ?? null,
    };
    const multi = this.redis.multi().hset(this.keys.pendingKills, pending.id, JSON.stringify(pending));
    const results: EmergencyKillResult['results'] = [];
    ids.forEach((environment, i) => {
      const snapshotVersion = Number(versions[i] ?? 0);
      const entry: EmergencyKill = {
        flag: req.flagKey,
        at: at.getTime(),
        actor: req.actor.name,
        reason: req.reason,
        snapshotVersion,
      };
      const message: ChangeMessage = { type: 'kill', environment, flag: req.flagKey, at: at.getTime() };
      multi
        .hset(this.keys.kills(environment), req.flagKey, JSON.stringify(entry))
        .publish(this.keys.changes, JSON.stringify(message));
      results.push({ environment, killed: true, via: 'redis', snapshotVersion });
    });
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed)
      throw new Error(`emergency kill through Redis failed: ${String(failed?.[0] ?? 'transaction aborted')}`);
    return { id: pending.id, results };
  }
}

/**
 * True when the kill's database write cannot happen now and nothing of it was written: the
 * database is unreachable, or (embedded SQLite) another writer kept its lock for the whole busy
 * bound (db/busy-wait.ts; a refused transaction wrote nothing, so the Redis path cannot double it).
 * The kill switch is the one write that must always work, so either way it takes the Redis path.
 */
export function killMustBypassDatabase(error: unknown): boolean {
  return isDatabaseUnavailable(error) || error instanceof DatabaseBusyError;
}

/**
 * The kill route's shape: try the database path; when the database cannot take the write (and
 * only then: a validation error or a 404 must not become a blind kill), fall back to Redis.
 */
export async function killWithRedisFallback<T>(
  databaseKill: () => Promise<T>,
  redisKill: () => Promise<EmergencyKillResult>,
): Promise<{ via: 'database'; result: T } | { via: 'redis'; result: EmergencyKillResult }> {
  try {
    return { via: 'database', result: await databaseKill() };
  } catch (error) {
    if (!killMustBypassDatabase(error)) throw error;
    return { via: 'redis', result: await redisKill() };
  }
}
