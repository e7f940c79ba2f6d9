import { describe, expect, it } from 'vitest';
import { ConfigError, readEvaluatorConfig, resolveEvaluatorConfig } from './config.ts';
import { etagMatches } from './http/etag.ts';
import { reconnectDelay } from './snapshots/redis-snapshot-follower.ts';

describe('readEvaluatorConfig', () => {
  it('applies the documented defaults', () => {
    expect(readEvaluatorConfig({})).toMatchObject({
      port: 4100,
      host: '127.0.0.1',
      redisUrl: 'redis://127.0.0.1:6379',
      dataDir: './data/evaluator-4100',
      environments: [],
      maxBodyBytes: 65536,
    });
  });

  it('reads the variables; the data dir follows the port', () => {
    const c = readEvaluatorConfig({
      EVALUATOR_PORT: '4200',
      EVALUATOR_ENVIRONMENTS: ' prod, staging ,',
      REDIS_URL: 'redis://r:6380/2',
    });
    expect(c).toMatchObject({
      port: 4200,
      dataDir: './data/evaluator-4200',
      environments: ['prod', 'staging'],
      redisUrl: 'redis://r:6380/2',
    });
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(() => readEvaluatorConfig({ EVALUATOR_PORT: 'eighty' })).toThrow(/EVALUATOR_PORT/);
    expect(() => readEvaluatorConfig({ EVALUATOR_PORT: '70000' })).toThrow(ConfigError);
    expect(() => readEvaluatorConfig({ REDIS_URL: 'http://x' })).toThrow(/redisUrl/);
    expect(() => readEvaluatorConfig({ EVALUATOR_ENVIRONMENTS: 'prod,bad env' })).toThrow(/environment id/);
    expect(() => resolveEvaluatorConfig({ maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});

describe('admission settings', () => {
  it('defaults: admin port = port + 1000 (0 with a free port), 2 s body deadline, 10,000 streams, 1,000 per key', () => {
    expect(readEvaluatorConfig({})).toMatchObject({
      adminPort: 5100,
      bodyTimeoutMs: 2000,
      sseMaxStreams: 10_000,
      sseMaxStreamsPerKey: 1000,
    });
    expect(readEvaluatorConfig({ EVALUATOR_PORT: '4101' }).adminPort).toBe(5101);
    expect(resolveEvaluatorConfig({ port: 0 }).adminPort).toBe(0);
  });

  it('reads EVALUATOR_ADMIN_PORT, EVALUATOR_BODY_TIMEOUT_MS and the stream caps', () => {
    expect(
      readEvaluatorConfig({
        EVALUATOR_ADMIN_PORT: '9464',
        EVALUATOR_BODY_TIMEOUT_MS: '500',
        EVALUATOR_SSE_MAX_STREAMS: '300',
        EVALUATOR_SSE_MAX_STREAMS_PER_KEY: '30',
        EVALUATOR_SSE_INLINE_MAX_BYTES: '0',
      }),
    ).toMatchObject({
      adminPort: 9464,
      bodyTimeoutMs: 500,
      sseMaxStreams: 300,
      sseMaxStreamsPerKey: 30,
      sseInlineMaxBytes: 0,
    });
    expect(readEvaluatorConfig({}).sseInlineMaxBytes).toBe(256 * 1024);
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(() => readEvaluatorConfig({ EVALUATOR_ADMIN_PORT: '4100' })).toThrow(
      /EVALUATOR_ADMIN_PORT must differ from EVALUATOR_PORT/,
    );
    expect(() => readEvaluatorConfig({ EVALUATOR_ADMIN_PORT: '0' })).toThrow(/EVALUATOR_ADMIN_PORT must be 1..65535/);
    expect(() => readEvaluatorConfig({ EVALUATOR_PORT: '65000' })).toThrow(/EVALUATOR_ADMIN_PORT must be set/);
    expect(() => readEvaluatorConfig({ EVALUATOR_BODY_TIMEOUT_MS: '10' })).toThrow(/bodyTimeoutMs/);
    expect(() => readEvaluatorConfig({ EVALUATOR_SSE_MAX_STREAMS: '0' })).toThrow(/sseMaxStreams/);
    expect(() => readEvaluatorConfig({ EVALUATOR_SSE_INLINE_MAX_BYTES: '999999999' })).toThrow(/sseInlineMaxBytes/);
    expect(() => readEvaluatorConfig({ EVALUATOR_SSE_MAX_STREAMS_PER_KEY: 'many' })).toThrow(
      /EVALUATOR_SSE_MAX_STREAMS_PER_KEY/,
    );
  });
});

describe('region settings', () => {
  it('defaults: region home, the follower reads REDIS_URL, stale after 3 s', () => {
    const c = readEvaluatorConfig({});
    expect(c).toMatchObject({ region: 'home', staleAfterMs: 3000 });
    expect(c.redisReadUrl).toBeUndefined();
  });

  it('reads REGION, REDIS_READ_URL and EVALUATOR_STALE_AFTER_MS; REDIS_URL stays the home primary', () => {
    expect(
      readEvaluatorConfig({
        REGION: 'eu-west-1',
        REDIS_URL: 'redis://home:6379',
        REDIS_READ_URL: 'redis://127.0.0.1:6380',
        EVALUATOR_STALE_AFTER_MS: '5000',
      }),
    ).toMatchObject({
      region: 'eu-west-1',
      redisUrl: 'redis://home:6379',
      redisReadUrl: 'redis://127.0.0.1:6380',
      staleAfterMs: 5000,
    });
  });

  it.each([
    [{ REGION: 'EU' }, /REGION must be 1\.\.32 of a-z, 0-9 and -, got "EU"/],
    [{ REGION: 'eu_west' }, /REGION.*"eu_west"/],
    [{ REGION: 'x'.repeat(33) }, /REGION/],
    [{ REDIS_READ_URL: 'http://replica' }, /REDIS_READ_URL must be redis:\/\//],
    [{ EVALUATOR_STALE_AFTER_MS: '10' }, /staleAfterMs/],
    [{ EVALUATOR_STALE_AFTER_MS: 'soon' }, /EVALUATOR_STALE_AFTER_MS/],
  ])('refuses %o', (env, message) => {
    expect(() => readEvaluatorConfig(env)).toThrow(ConfigError);
    expect(() => readEvaluatorConfig(env)).toThrow(message);
  });
});

describe('reconnectDelay', () => {
  it('grows exponentially, is capped, and is jittered within [d/2, d]', () => {
    expect(reconnectDelay(1, 50, 2000, () => 1)).toBe(50);
    expect(reconnectDelay(3, 50, 2000, () => 1)).toBe(200);
    expect(reconnectDelay(30, 50, 2000, () => 1)).toBe(2000);
    expect(reconnectDelay(30, 50, 2000, () => 0)).toBe(1000);
    const delays = new Set(Array.from({ length: 50 }, () => reconnectDelay(5, 50, 2000)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('etagMatches', () => {
  it('matches exact, weak, listed and * validators', () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"x", "a"', '"a"')).toBe(true);
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
  });
});
