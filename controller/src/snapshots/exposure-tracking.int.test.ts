/**
 * Exposure tracking through the whole stack as `npm start` runs it (controller API, workers and an
 * evaluator, each its own process, on MariaDB and the shared Redis under a unique prefix):
 * starting a rollout republishes the environment with the flag marked trackExposures, and the
 * evaluator then counts it per variant in `evaluator_exposures_total`; a flag without a rollout
 * or an opt-in stays out of it (counted only in the per-reason aggregate); aborting the rollout
 * takes the mark away again; a metric definition naming a flag marks it too.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../../scripts/stack/local-stack.ts';
import { createTestDatabase, type TestDatabase } from '../test-support/test-database.ts';

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `ms`. */
async function eventually<T>(check: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

describe('exposure tracking', () => {
  let t: TestDatabase;
  let stack: LocalStack | undefined;
  let dir: string;
  const prefix = `fs-test-${randomBytes(5).toString('hex')}:`;
  const adminToken = `fsk_test_${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    t = await createTestDatabase('mysql', { migrate: false });
    dir = mkdtempSync(join(tmpdir(), 'fs-exposures-'));
    stack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [0],
      keyPrefix: prefix,
      dataDir: dir,
      adminToken,
      databaseUrl: t.config.databaseUrl,
      privateRedisFallback: false,
      supervisor: { echo: false },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    const redis = new Redis(stack?.redisUrl ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    for (let i = 0, cursor = '0'; i < 1_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    redis.disconnect();
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts a flag per variant once a rollout starts, never an untracked one, and drops the mark at the end', async () => {
    const s = stack!;
    const [evaluatorUrl, adminUrl] = [s.evaluatorUrls[0]!, s.evaluatorAdminUrls[0]!];
    const admin = new AdminClient(s.apiUrl, adminToken);
    const { sdkKey } = await admin.setUpBooleanFlag('shop', 'prod', 'ramped');
    for (const [flag, trackExposures] of [
      ['plain', false],
      ['opted', true],
    ] as const) {
      await admin.ok('POST', '/projects/shop/flags', {
        key: flag,
        type: 'boolean',
        variants: { on: true, off: false },
        trackExposures,
      });
      const current = await admin.ok<{ version: number }>('GET', `/projects/shop/environments/prod/flags/${flag}`);
      await admin.putConfig('shop', 'prod', flag, current.version, { enabled: true, defaultRule: { variant: 'on' } });
    }
    expect((await admin.ok<{ trackExposures?: boolean }>('GET', '/projects/shop/flags/opted')).trackExposures).toBe(
      true,
    );
    const refused = await admin.request('POST', '/projects/shop/flags', {
      key: 'bad',
      type: 'boolean',
      variants: { on: true },
      trackExposures: 'yes',
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('trackExposures');

    /** The flags of the snapshot the evaluator serves, once `ready` holds for it. */
    const servedFlags = (ready: (flags: Record<string, { trackExposures?: boolean; enabled: boolean }>) => boolean) =>
      eventually(
        async () => {
          const r = await fetch(`${evaluatorUrl}/v1/snapshot`, { headers: { authorization: `Bearer ${sdkKey}` } });
          if (r.status !== 200) return undefined;
          const { flags } = (await r.json()) as {
            flags: Record<string, { trackExposures?: boolean; enabled: boolean }>;
          };
          return ready(flags) ? flags : undefined;
        },
        20_000,
        'the evaluator serving the expected snapshot',
      );
    const evaluateAll = async (flag: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await fetch(`${evaluatorUrl}/ofrep/v1/evaluate/flags/${flag}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ context: { targetingKey: `user-${flag}-${i}` } }),
        });
        expect(r.status).toBe(200);
      }
    };
    const exposures = async () => {
      const text = await (await fetch(`${adminUrl}/metrics`)).text();
      const lines = text.split('\n').filter((l) => l.startsWith('evaluator_exposures_total{'));
      return { text, lines, of: (flag: string) => lines.filter((l) => l.includes(`flag="${flag}"`)) };
    };

    const before = await servedFlags((f) => f.plain?.enabled === true && f.opted?.enabled === true);
    expect(before.opted!.trackExposures).toBe(true);
    expect(before.ramped!.trackExposures).toBeUndefined();
    expect(before.plain!.trackExposures).toBeUndefined();
    await evaluateAll('ramped', 5);
    await evaluateAll('opted', 5);
    const untracked = await exposures();
    expect(untracked.of('ramped')).toEqual([]);
    expect(untracked.of('opted')).toEqual([
      'evaluator_exposures_total{environment="shop.prod",flag="opted",variant="on"} 5',
    ]);

    const rollout = await admin.ok<{ id: number; status: string }>(
      'POST',
      '/projects/shop/environments/prod/flags/ramped/rollouts',
      { policy: 'standard', treatment: 'on', control: 'off' },
    );
    expect(rollout.status).toBe('running');
    await servedFlags((f) => f.ramped?.trackExposures === true);
    await evaluateAll('ramped', 40);
    await evaluateAll('plain', 40);
    const tracked = await exposures();
    const perVariant = tracked.of('ramped').map((l) => Number(l.split(' ')[1]));
    // The standard policy's first step sends a few percent to the treatment: most (or all) of the
    // 40 see the control. Every one is an exposure of one variant.
    expect(perVariant.reduce((a, b) => a + b, 0)).toBe(40);
    expect(tracked.of('ramped').some((l) => l.includes('variant="off"'))).toBe(true);
    expect(tracked.of('plain')).toEqual([]);
    // Untracked flags are still counted, in the aggregate per reason: no flag label there.
    const aggregate = tracked.text.split('\n').filter((l) => l.startsWith('evaluator_evaluations_total{'));
    expect(aggregate.length).toBeGreaterThan(0);
    expect(aggregate.every((l) => !l.includes('flag='))).toBe(true);
    const evaluated = aggregate
      .filter((l) => l.includes('environment="shop.prod"'))
      .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
    expect(evaluated).toBe(5 + 5 + 40 + 40);

    await admin.ok('POST', `/rollouts/${rollout.id}/abort`, { reason: 'test over' });
    const after = await servedFlags((f) => f.ramped?.trackExposures === undefined);
    expect(after.opted!.trackExposures).toBe(true);

    // A metric definition that names a flag makes it counted per variant; deleting it ends that.
    await admin.ok('POST', '/projects/shop/metrics', {
      key: 'plain-conversion',
      name: 'Conversion',
      kind: 'ratio',
      better: 'higher',
      numerator: 'sum(increase(app_conversions_total{variant="{{variant}}"}[{{window}}]))',
      denominator: 'sum(increase(app_visits_total{variant="{{variant}}"}[{{window}}]))',
      flags: ['plain', 'no-such-flag'],
    });
    const named = await servedFlags((f) => f.plain?.trackExposures === true);
    expect(Object.keys(named)).not.toContain('no-such-flag');
    await evaluateAll('plain', 7);
    expect((await exposures()).of('plain')).toEqual([
      'evaluator_exposures_total{environment="shop.prod",flag="plain",variant="on"} 7',
    ]);
    await admin.ok('DELETE', '/projects/shop/metrics/plain-conversion');
    await servedFlags((f) => f.plain?.trackExposures === undefined);
  }, 120_000);
});
