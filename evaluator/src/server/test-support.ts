/**
 * Helpers for the server's integration tests and benchmark: a unique Redis key prefix per test,
 * publishing snapshots the way protocol.ts says the publisher does, and a snapshot with one flag
 * of every type and every error path. Not part of the public API.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { makeFlag } from '../engine/test-support.ts';
import type { Snapshot, SnapshotFlag } from '../model/flag.ts';
import type { SnapshotDelta } from '../model/snapshot-delta.ts';
import {
  hashApiKey,
  redisKeys,
  type ChangeMessage,
  type ClientAccess,
  type EmergencyKill,
  type EnvelopeDelta,
  type RedisKeys,
  type SnapshotEnvelope,
} from '../propagation/index.ts';

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** A test's own prefix, Redis connection and key names; `cleanup()` deletes every key under the prefix. */
export interface RedisFixture {
  prefix: string;
  keys: RedisKeys;
  redis: Redis;
  /** Stores the envelope, sets the version key, adds the env to the set; `notify` also publishes the hint. */
  publish(
    snapshot: Snapshot,
    sdkKeys: string[],
    options?: { notify?: boolean; publishedAt?: number; clients?: ClientAccess },
  ): Promise<void>;
  /**
   * Stores a delta entry onto `delta.base` as the publisher does (deltas set, version key), and
   * publishes the hint, with the change inline unless `inline` is false; `raw` stores that text
   * instead of the entry's JSON (a corrupt entry).
   */
  publishDelta(delta: SnapshotDelta, options?: { inline?: boolean; notify?: boolean; raw?: string }): Promise<void>;
  kill(environment: string, flag: string, snapshotVersion: number): Promise<void>;
  unkill(environment: string, flag: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function redisFixture(): Promise<RedisFixture> {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const keys = redisKeys(prefix);
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  return {
    prefix,
    keys,
    redis,
    async publish(snapshot, sdkKeys, options = {}) {
      const publishedAt = options.publishedAt ?? Date.now();
      const envelope: SnapshotEnvelope = {
        snapshot,
        sdkKeyHashes: sdkKeys.map((key) => hashApiKey(key)),
        publishedAt,
        ...(options.clients === undefined ? {} : { clients: options.clients }),
      };
      const env = snapshot.environment;
      await redis
        .multi()
        .set(keys.snapshot(env), JSON.stringify(envelope))
        .set(keys.version(env), String(snapshot.version))
        .sadd(keys.environments, env)
        .del(keys.deltas(env))
        .exec();
      if (options.notify !== false) {
        const message: ChangeMessage = { type: 'snapshot', environment: env, version: snapshot.version, publishedAt };
        await redis.publish(keys.changes, JSON.stringify(message));
      }
    },
    async publishDelta(delta, options = {}) {
      const change: EnvelopeDelta = { delta, publishedAt: Date.now() };
      const env = delta.environment;
      await redis
        .multi()
        .zadd(keys.deltas(env), delta.version, options.raw ?? JSON.stringify(change))
        .set(keys.version(env), String(delta.version))
        .exec();
      if (options.notify === false) return;
      const message: ChangeMessage = {
        type: 'snapshot',
        environment: env,
        version: delta.version,
        publishedAt: change.publishedAt,
        base: delta.base,
        ...(options.inline === false ? {} : { change }),
      };
      await redis.publish(keys.changes, JSON.stringify(message));
    },
    async kill(environment, flag, snapshotVersion) {
      const kill: EmergencyKill = { flag, at: Date.now(), actor: 'test', reason: 'test kill', snapshotVersion };
      await redis.hset(keys.kills(environment), flag, JSON.stringify(kill));
      const message: ChangeMessage = { type: 'kill', environment, flag, at: kill.at };
      await redis.publish(keys.changes, JSON.stringify(message));
    },
    async unkill(environment, flag) {
      await redis.hdel(keys.kills(environment), flag);
    },
    async cleanup() {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (found.length > 0) await redis.del(...found);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

/** A fresh temp folder for last-known-good files; remove it with `rm`. */
export async function tempDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'evaluator-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const SALT = 'a3f1c2d4e5b60718293a4b5c6d7e8f90';

/**
 * One flag per type and per outcome the OFREP tests need:
 * bool-flag, string-flag, number-flag, object-flag (static, each type), rules-flag (TARGETING_MATCH
 * for country NL), split-flag (SPLIT; TARGETING_KEY_MISSING without a targetingKey), off-flag
 * (DISABLED), cycle-a / cycle-b (a prerequisite cycle: GENERAL).
 */
export function typesSnapshot(environment: string, version: number, stringValue = 'on'): Snapshot {
  const flags: SnapshotFlag[] = [
    makeFlag('bool-flag', {
      type: 'boolean',
      variants: { on: true, off: false },
      offVariant: 'off',
      defaultRule: { variant: 'on' },
      salt: SALT,
    }),
    makeFlag('string-flag', {
      type: 'string',
      variants: { on: stringValue, off: 'off' },
      offVariant: 'off',
      defaultRule: { variant: 'on' },
      salt: SALT,
    }),
    makeFlag('number-flag', {
      type: 'number',
      variants: { one: 1.5, two: 2 },
      offVariant: 'two',
      defaultRule: { variant: 'one' },
      salt: SALT,
    }),
    makeFlag('object-flag', {
      type: 'object',
      variants: { a: { color: 'red', n: [1, 2] }, b: {} },
      offVariant: 'b',
      defaultRule: { variant: 'a' },
      salt: SALT,
    }),
    makeFlag('rules-flag', {
      rules: [{ conditions: [{ attribute: 'country', op: 'in', values: ['NL'] }], serve: { variant: 'treatment' } }],
      salt: SALT,
    }),
    makeFlag('split-flag', {
      defaultRule: {
        split: [
          { variant: 'treatment', weight: 50_000 },
          { variant: 'control', weight: 50_000 },
        ],
      },
      salt: SALT,
    }),
    makeFlag('off-flag', { enabled: false, defaultRule: { variant: 'treatment' }, salt: SALT }),
    makeFlag('cycle-a', { prerequisites: [{ flag: 'cycle-b', variant: 'treatment' }], salt: SALT }),
    makeFlag('cycle-b', { prerequisites: [{ flag: 'cycle-a', variant: 'treatment' }], salt: SALT }),
  ];
  return { environment, version, flags: Object.fromEntries(flags.map((f) => [f.key, f])), segments: {} };
}

/** Waits until `check` returns true (polling every 10 ms), or throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw client connection: what the server sent so far, and a promise of everything once it closes. */
export interface RawConnection {
  socket: Socket;
  received(): string;
  closed: Promise<string>;
}

/** Opens a TCP connection to 127.0.0.1:`port` (for requests no HTTP client would send, e.g. a trickled body). */
export function rawConnection(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    let text = '';
    let closedResolve: (t: string) => void = () => undefined;
    const closed = new Promise<string>((r) => {
      closedResolve = r;
    });
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => text, closed }));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('close', () => closedResolve(text));
    socket.on('error', (e) => {
      reject(e);
      closedResolve(text);
    });
  });
}

/** Resolves `p`, or rejects after `ms` with `what` in the message. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}
