import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_MIN_LENGTH, ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('defaults to SQLite under ./data on 127.0.0.1:4000', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', databaseUrl: undefined, adminToken: undefined });
    expect(c.sqliteFile.endsWith('data/controller.sqlite')).toBe(true);
  });
  it('refuses bad values with the variable named', () => {
    expect(() => loadConfig({ PORT: 'x' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306' })).toThrow(/name a database/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
  });
  it('PROMETHEUS_URL: absent means no impact queries; a non-http(s) value or a bad timeout stops the start', () => {
    expect(loadConfig({})).toMatchObject({ prometheusUrl: undefined, prometheusTimeoutMs: 10_000 });
    expect(loadConfig({ PROMETHEUS_URL: 'http://127.0.0.1:9090', PROMETHEUS_TIMEOUT_MS: '2500' })).toMatchObject({
      prometheusUrl: 'http://127.0.0.1:9090',
      prometheusTimeoutMs: 2500,
    });
    expect(() => loadConfig({ PROMETHEUS_URL: 'ftp://x' })).toThrow(/PROMETHEUS_URL/);
    expect(() => loadConfig({ PROMETHEUS_URL: 'not a url' })).toThrow(/PROMETHEUS_URL/);
    expect(() => loadConfig({ PROMETHEUS_TIMEOUT_MS: '5' })).toThrow(/PROMETHEUS_TIMEOUT_MS/);
    expect(() => loadConfig({ PROMETHEUS_TIMEOUT_MS: 'soon' })).toThrow(/PROMETHEUS_TIMEOUT_MS/);
  });
  it('CONTROLLER_METRICS_PORT: 4300 by default, 0 turns the listener off, anything else outside 0..65535 stops the start', () => {
    expect(loadConfig({}).metricsPort).toBe(4300);
    expect(loadConfig({ CONTROLLER_METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(loadConfig({ CONTROLLER_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(() => loadConfig({ CONTROLLER_METRICS_PORT: '70000' })).toThrow(/CONTROLLER_METRICS_PORT/);
    expect(() => loadConfig({ CONTROLLER_METRICS_PORT: 'on' })).toThrow(/CONTROLLER_METRICS_PORT/);
  });

  it('REGIONS: none by default; a comma list read as the workers read it; a bad or repeated label stops the start', () => {
    expect(loadConfig({}).regions).toEqual([]);
    expect(loadConfig({ REGIONS: ' home, eu-west ,' }).regions).toEqual(['home', 'eu-west']);
    expect(() => loadConfig({ REGIONS: 'eu,US' })).toThrow(
      /^REGIONS entries must be 1\.\.32 of a-z, 0-9 and -, got "US"$/,
    );
    expect(() => loadConfig({ REGIONS: 'eu,eu' })).toThrow(/REGIONS lists "eu" twice/);
  });

  it('needs an ADMIN_TOKEN of at least 32 characters', () => {
    expect(ADMIN_TOKEN_MIN_LENGTH).toBe(32);
    expect(() => loadConfig({ ADMIN_TOKEN: 'a'.repeat(31) })).toThrow(/ADMIN_TOKEN must be 32\.\.512 characters/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'sixteen-chars-ok' })).toThrow(ConfigError);
    expect(loadConfig({ ADMIN_TOKEN: 'a'.repeat(32) }).adminToken).toBe('a'.repeat(32));
  });
  it('the controller stops at start on a short ADMIN_TOKEN, naming it', () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'fs-config-'));
    try {
      // Own data folder and Redis prefixes: without the check the controller would start (and be
      // stopped by the timeout), and must not touch anyone else's data then.
      const run = spawnSync(process.execPath, ['--import', 'tsx', main], {
        env: {
          ...process.env,
          ADMIN_TOKEN: 'x'.repeat(31),
          DATABASE_URL: '',
          DATA_DIR: dir,
          PORT: '0',
          REDIS_KEY_PREFIX: 'fs-config-test:',
          QUEUE_PREFIX: 'fs-config-test',
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/ADMIN_TOKEN must be 32\.\.512 characters/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
