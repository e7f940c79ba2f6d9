/**
 * The whole stack as `npm start` runs it (scripts/stack/local-stack.ts): controller API, workers
 * and two evaluator processes, each its own process, on MariaDB (a database of this test's own)
 * and the shared Redis under a unique prefix. A change made through the admin API is served by
 * every evaluator, and pushed to an SSE subscriber of each.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@flagship/controller/testing';
import { AdminClient } from '../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../scripts/stack/local-stack.ts';
import { subscribeSnapshots } from '../../scripts/stack/sse-client.ts';
import { evaluate, readyVersion } from './test-support/evaluator-fleet.ts';
import { eventually, testRedis, uniquePrefix } from './test-support/fixtures.ts';

describe('the local stack', () => {
  let t: TestDatabase;
  let stack: LocalStack | undefined;
  let dir: string;
  const prefix = uniquePrefix();
  const adminToken = `fsk_test_${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    t = await createTestDatabase('mysql', { migrate: false });
    dir = mkdtempSync(join(tmpdir(), 'fs-stack-'));
    stack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [0, 0],
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
    await testRedis(prefix).cleanup();
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a change made through the admin API on every evaluator', async () => {
    const s = stack!;
    expect(s.evaluatorUrls).toHaveLength(2);
    const admin = new AdminClient(s.apiUrl, adminToken);
    const { environmentId, sdkKey, configVersion } = await admin.setUpBooleanFlag('shop', 'prod', 'new-checkout');
    await eventually(
      async () =>
        (await Promise.all(s.evaluatorUrls.map((u) => evaluate(u, sdkKey, 'new-checkout')))).every(
          (x) => x.value === true,
        ) || undefined,
      20_000,
      'every evaluator serving the flag on',
    );
    const before = (await readyVersion(s.evaluatorAdminUrls[0]!, environmentId)).version!;

    const pushed: number[][] = s.evaluatorUrls.map(() => []);
    const subs = s.evaluatorUrls.map((u, i) => subscribeSnapshots(`${u}/v1/stream`, sdkKey, (v) => pushed[i]!.push(v)));
    await Promise.all(subs.map((x) => x.opened));
    try {
      await admin.putConfig('shop', 'prod', 'new-checkout', configVersion, {
        enabled: true,
        defaultRule: { variant: 'off' },
      });
      const served = await eventually(
        async () => {
          const all = await Promise.all(s.evaluatorUrls.map((u) => evaluate(u, sdkKey, 'new-checkout')));
          return all.every((x) => x.value === false) ? all : undefined;
        },
        5_000,
        'every evaluator serving the change',
      );
      for (const x of served) expect(x).toMatchObject({ status: 200, value: false, variant: 'off' });
      for (const u of s.evaluatorAdminUrls)
        expect((await readyVersion(u, environmentId)).version!).toBeGreaterThan(before);
      await eventually(
        () => pushed.every((p) => (p.at(-1) ?? 0) > before) || undefined,
        5_000,
        'an SSE event from every evaluator',
      );
    } finally {
      for (const x of subs) x.close();
    }
  });
});
