import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { RedisRegionServing, regionVerdicts } from './region-serving.ts';

const report = (version: number, at: number) => JSON.stringify({ version, at });

describe('regionVerdicts', () => {
  const now = 100_000;

  it('a region serves when one fresh report is at or past the required version', () => {
    const entries = {
      'far/a': report(6, now - 1000),
      'far/b': report(7, now - 9_000),
      'home/c': report(7, now),
    };
    expect(regionVerdicts(entries, ['home', 'far'], 7, now)).toEqual([
      { region: 'home', servedVersion: 7, serves: true },
      { region: 'far', servedVersion: 7, serves: true },
    ]);
  });

  it('a region behind, silent for more than 10 s, or absent does not serve', () => {
    const entries = {
      'far/a': report(6, now),
      'late/a': report(9, now - 10_001),
      'x/y': 'not json',
      bad: report(9, now),
    };
    expect(regionVerdicts(entries, ['far', 'late', 'gone'], 7, now)).toEqual([
      { region: 'far', servedVersion: 6, serves: false },
      { region: 'late', servedVersion: undefined, serves: false },
      { region: 'gone', servedVersion: undefined, serves: false },
    ]);
  });
});

describe('RedisRegionServing', () => {
  const redis = (version: string | null, entries: Record<string, string>) => ({
    get: async () => version,
    hgetall: async () => entries,
  });

  it('no regions: always served (the outbox rule alone)', async () => {
    expect(
      await new RedisRegionServing({ redis: redis(null, {}), keyPrefix: 'p:', regions: [] }).servesCurrent('e'),
    ).toBe(true);
  });

  it('holds without a published version, on a Redis error and on a Redis that does not answer', async () => {
    const entries = { 'far/a': report(3, Date.now()) };
    const check = (r: ConstructorParameters<typeof RedisRegionServing>[0]['redis']) =>
      new RedisRegionServing({ redis: r, keyPrefix: 'p:', regions: ['far'], timeoutMs: 50 }).servesCurrent('e');
    expect(await check(redis('3', entries))).toBe(true);
    expect(await check(redis(null, entries))).toBe(false);
    expect(await check({ get: async () => Promise.reject(new Error('down')), hgetall: async () => entries })).toBe(
      false,
    );
    expect(await check({ get: () => new Promise(() => {}), hgetall: async () => entries })).toBe(false);
  });
});

describe('REGIONS in the controller config', () => {
  it('empty by default; a comma list of labels; refuses bad labels and repeats', () => {
    expect(loadConfig({}).regions).toEqual([]);
    expect(loadConfig({ REGIONS: 'eu-west, ap-south' }).regions).toEqual(['eu-west', 'ap-south']);
    expect(() => loadConfig({ REGIONS: 'eu west' })).toThrow(ConfigError);
    expect(() => loadConfig({ REGIONS: 'EU' })).toThrow(/REGIONS entries must be 1\.\.32 of a-z, 0-9 and -, got "EU"/);
    expect(() => loadConfig({ REGIONS: 'eu,eu' })).toThrow(/REGIONS lists "eu" twice/);
  });
});
