import { describe, expect, it } from 'vitest';
import {
  describeRedis,
  readRedisSettings,
  redisClientOptions,
  RedisSettingsError,
  regionLabelProblem,
} from './redis-settings.ts';

/** The RedisSettingsError a bad environment gives, so a test can read its field and message. */
function refusal(env: Record<string, string | undefined>): RedisSettingsError {
  try {
    readRedisSettings(env);
  } catch (e) {
    if (e instanceof RedisSettingsError) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('readRedisSettings', () => {
  it('defaults to the local Redis without Sentinel', () => {
    expect(readRedisSettings({})).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      keyPrefix: 'fs:',
      redisSentinel: undefined,
    });
  });

  it('reads REDIS_SENTINELS (port 26379 when left out, IPv6 in brackets) and defaults the name to mymaster', () => {
    const s = readRedisSettings({ REDIS_SENTINELS: ' s1:26380, s2 ,[::1]:26381' });
    expect(s.redisSentinel).toEqual({
      name: 'mymaster',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
    });
    expect(readRedisSettings({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'flags-eu' }).redisSentinel?.name).toBe(
      'flags-eu',
    );
    // Empty counts as unset, as for REDIS_URL (compose files often pass VAR= ).
    expect(readRedisSettings({ REDIS_SENTINELS: '  ' }).redisSentinel).toBeUndefined();
  });

  it.each([
    ['s1:0', 'REDIS_SENTINELS entries must be host:port'],
    ['s1:99999', 'REDIS_SENTINELS entries must be host:port'],
    ['s1:port', 'REDIS_SENTINELS entries must be host:port'],
    ['redis://s1:26379', 'REDIS_SENTINELS entries must be host:port'],
    [',,', 'REDIS_SENTINELS must list host:port entries'],
    ['a:1,a:1', 'REDIS_SENTINELS lists "a:1" twice'],
    [Array.from({ length: 17 }, (_, i) => `h${i}:1`).join(','), 'at most 16'],
  ])('refuses REDIS_SENTINELS=%j naming the variable', (raw, message) => {
    const e = refusal({ REDIS_SENTINELS: raw });
    expect(e.setting).toBe('redisSentinel');
    expect(e.message).toContain(message);
  });

  it('refuses a bad REDIS_SENTINEL_NAME, and one given without REDIS_SENTINELS', () => {
    expect(refusal({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'my master' }).message).toMatch(
      /^REDIS_SENTINEL_NAME may hold/,
    );
    expect(refusal({ REDIS_SENTINEL_NAME: 'mymaster' }).message).toMatch(
      /REDIS_SENTINEL_NAME is set .* but REDIS_SENTINELS is not/,
    );
  });

  it('refuses a REDIS_URL whose path is not a db number', () => {
    const e = refusal({ REDIS_URL: 'redis://h:6379/cache' });
    expect(e.setting).toBe('redisUrl');
    expect(e.message).toMatch(/^REDIS_URL must be/);
    expect(readRedisSettings({ REDIS_URL: 'redis://h:6379/3' }).redisUrl).toBe('redis://h:6379/3');
  });
});

describe('regionLabelProblem', () => {
  it('accepts 1..32 of a-z, 0-9 and -', () => {
    for (const label of ['home', 'eu-west-1', '0', 'x'.repeat(32)]) expect(regionLabelProblem(label)).toBeUndefined();
  });

  it('refuses anything else, naming the variable and the value', () => {
    expect(regionLabelProblem('EU')).toBe('REGION must be 1..32 of a-z, 0-9 and -, got "EU"');
    expect(regionLabelProblem('eu/west', 'REGIONS')).toBe(
      'REGIONS entries must be 1..32 of a-z, 0-9 and -, got "eu/west"',
    );
    for (const label of ['', 'eu_west', ' eu', 'x'.repeat(33)]) expect(regionLabelProblem(label)).toMatch(/^REGION /);
  });
});

describe('redisClientOptions', () => {
  it('without Sentinel: host, port, auth, db, TLS and query as ioredis reads the URL; overrides win', () => {
    expect(redisClientOptions({ redisUrl: 'redis://127.0.0.1:6390' })).toEqual({ host: '127.0.0.1', port: 6390 });
    expect(
      redisClientOptions(
        { redisUrl: 'rediss://app:p%40ss@cache.example:7000/2?family=6' },
        { maxRetriesPerRequest: null },
      ),
    ).toEqual({
      host: 'cache.example',
      port: 7000,
      username: 'app',
      password: 'p@ss',
      db: 2,
      tls: {},
      family: 6,
      maxRetriesPerRequest: null,
    });
    expect(redisClientOptions({ redisUrl: 'redis://:secret@h' })).toMatchObject({ port: 6379, password: 'secret' });
  });

  it("with Sentinel: ioredis's sentinels and name, REDIS_URL's password, db and TLS, its host unused", () => {
    const o = redisClientOptions(
      {
        redisUrl: 'rediss://:secret@ignored.example:6379/4',
        redisSentinel: { name: 'mymaster', sentinels: [{ host: '10.0.0.1', port: 26379 }] },
      },
      { enableOfflineQueue: false },
    );
    expect(o).toMatchObject({
      sentinels: [{ host: '10.0.0.1', port: 26379 }],
      name: 'mymaster',
      password: 'secret',
      db: 4,
      tls: {},
      enableTLSForSentinelMode: true,
      sentinelTLS: {},
      failoverDetector: true,
      enableOfflineQueue: false,
    });
    expect(o.host).toBeUndefined();
    expect(o.port).toBeUndefined();
    // A command answered READONLY by a demoted primary is resent after a reconnect; others are not.
    expect(o.reconnectOnError?.(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(o.reconnectOnError?.(new Error('ERR wrong number of arguments'))).toBe(false);
  });

  it('describes the target with the password masked', () => {
    expect(describeRedis({ redisUrl: 'redis://:secret@h:1' })).toBe('redis://:***@h:1');
    expect(
      describeRedis({
        redisUrl: 'redis://:secret@h:1',
        redisSentinel: {
          name: 'm',
          sentinels: [
            { host: 'a', port: 2 },
            { host: '::1', port: 3 },
          ],
        },
      }),
    ).toBe('Sentinel master m via a:2,[::1]:3 (redis://:***@h:1 for auth/db/TLS)');
  });
});
