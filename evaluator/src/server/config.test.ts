import { describe, expect, it } from 'vitest';
import { ConfigError, readEvaluatorConfig, resolveEvaluatorConfig } from './config.ts';
import { etagMatches } from './evaluator-server.ts';
import { reconnectDelay } from './snapshots/redis-snapshot-store.ts';

describe('readEvaluatorConfig', () => {
  it('applies the documented defaults', () => {
    expect(readEvaluatorConfig({})).toMatchObject({
      port: 4100, host: '127.0.0.1', redisUrl: 'redis://127.0.0.1:6379', dataDir: './data/evaluator-4100', environments: [], maxBodyBytes: 65536,
    });
  });

  it('reads the variables; the data dir follows the port', () => {
    const c = readEvaluatorConfig({ EVALUATOR_PORT: '4200', EVALUATOR_ENVIRONMENTS: ' prod, staging ,', REDIS_URL: 'redis://r:6380/2' });
    expect(c).toMatchObject({ port: 4200, dataDir: './data/evaluator-4200', environments: ['prod', 'staging'], redisUrl: 'redis://r:6380/2' });
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(() => readEvaluatorConfig({ EVALUATOR_PORT: 'eighty' })).toThrow(/EVALUATOR_PORT/);
    expect(() => readEvaluatorConfig({ EVALUATOR_PORT: '70000' })).toThrow(ConfigError);
    expect(() => readEvaluatorConfig({ REDIS_URL: 'http://x' })).toThrow(/redisUrl/);
    expect(() => readEvaluatorConfig({ EVALUATOR_ENVIRONMENTS: 'prod,bad env' })).toThrow(/environment id/);
    expect(() => resolveEvaluatorConfig({ maxInFlight: 0 })).toThrow(/maxInFlight/);
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
