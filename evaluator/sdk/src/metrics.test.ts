import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { FlagshipClient } from './flagship-client.ts';
import { registerMetrics } from './metrics.ts';

const dir = mkdtempSync(join(tmpdir(), 'sdk-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flag = (key: string, trackExposures: boolean) => ({
  key,
  type: 'boolean',
  variants: { on: true, off: false },
  salt: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
  version: 1,
  enabled: true,
  offVariant: 'off',
  prerequisites: [],
  targets: [{ variant: 'off', values: ['blocked'] }],
  rules: [],
  defaultRule: { variant: 'on' },
  trackExposures,
});

describe('registerMetrics', () => {
  it("exports the client's counts into the service's registry, per variant only for tracked flags", async () => {
    const file = join(dir, 'lkg.json');
    const snapshot = {
      environment: 'prod',
      version: 3,
      flags: { t: flag('t', true), u: flag('u', false) },
      segments: {},
    };
    writeFileSync(file, JSON.stringify({ etag: '"3"', savedAt: 1, snapshot }));
    const client = new FlagshipClient({ evaluators: [], sdkKey: 'k', lastKnownGoodFile: file, offline: true });
    const registry = new Registry();
    registerMetrics(client, registry);
    for (let i = 0; i < 3; i++) client.getBooleanValue('t', false, { targetingKey: `u${i}` });
    client.getBooleanValue('t', true, { targetingKey: 'blocked' });
    for (let i = 0; i < 2; i++) client.getBooleanValue('u', false, {});
    client.getBooleanValue('missing', false);
    const first = await registry.getMetricsAsJSON();
    const series = (m: typeof first) =>
      m[0]!.values.map((v) => `${v.labels.flag}/${v.labels.variant}/${v.labels.reason}=${v.value}`).sort();
    expect(series(first)).toEqual([
      '//DEFAULT=2',
      '//ERROR:FLAG_NOT_FOUND=1',
      't/off/TARGETING_MATCH=1',
      't/on/DEFAULT=3',
    ]);
    client.getBooleanValue('t', false, {});
    // A second scrape reads running totals: nothing counted twice, nothing lost.
    expect(series(await registry.getMetricsAsJSON())).toContain('t/on/DEFAULT=4');
    expect(series(await registry.getMetricsAsJSON())).toContain('//DEFAULT=2');
  });
});
