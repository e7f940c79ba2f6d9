import { describe, expect, it } from 'vitest';
import { ConfigError, loadWorkersConfig } from './config.ts';

describe('workers config', () => {
  it('defaults: SQLite under ./data, local Redis, fs: prefix, 10 ms poll', () => {
    const c = loadWorkersConfig({}, '/srv/app');
    expect(c).toMatchObject({
      databaseUrl: undefined,
      sqliteFile: '/srv/app/data/controller.sqlite',
      redisUrl: 'redis://127.0.0.1:6379',
      keyPrefix: 'fs:',
      pollIntervalMs: 10,
      sweepIntervalMs: 5000,
    });
  });

  it('regions: home region "home" and no regions to wait for by default; REGION and REGIONS read', () => {
    expect(loadWorkersConfig({})).toMatchObject({ region: 'home', regions: [] });
    expect(loadWorkersConfig({ REGION: 'us-east', REGIONS: ' eu-west, ap-south ,' })).toMatchObject({
      region: 'us-east',
      regions: ['eu-west', 'ap-south'],
    });
  });

  it('metrics listener: port 4200 by default, any port from WORKERS_METRICS_PORT, 0 turns it off', () => {
    expect(loadWorkersConfig({}).metricsPort).toBe(4200);
    expect(loadWorkersConfig({ WORKERS_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(loadWorkersConfig({ WORKERS_METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  it.each([
    [{ DATABASE_URL: 'postgres://x/y' }, /DATABASE_URL must be mysql/],
    [{ DATABASE_URL: 'mysql://root@127.0.0.1:3306' }, /names no database/],
    [{ DATABASE_URL: 'not a url' }, /not a URL/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
    [{ PUBLISH_POLL_MS: '0' }, /PUBLISH_POLL_MS/],
    [{ SWEEP_INTERVAL_MS: 'soon' }, /SWEEP_INTERVAL_MS/],
    [{ REDIS_KEY_PREFIX: 'has space' }, /REDIS_KEY_PREFIX/],
    [{ WORKERS_METRICS_PORT: '65536' }, /WORKERS_METRICS_PORT must be an integer from 0 to 65535/],
    [{ WORKERS_METRICS_PORT: '-1' }, /WORKERS_METRICS_PORT/],
    [{ WORKERS_METRICS_PORT: 'metrics' }, /WORKERS_METRICS_PORT/],
    [{ REGION: 'Home' }, /REGION must be 1\.\.32 of a-z, 0-9 and -/],
    [{ REGIONS: 'eu,US' }, /REGIONS entries must be .* got "US"/],
    [{ REGIONS: 'eu,eu' }, /REGIONS lists "eu" twice/],
  ])('refuses %o', (env, message) => {
    expect(() => loadWorkersConfig(env)).toThrow(ConfigError);
    expect(() => loadWorkersConfig(env)).toThrow(message);
  });
});
