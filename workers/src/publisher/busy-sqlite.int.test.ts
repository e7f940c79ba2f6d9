/**
 * The two reported `500 database is locked` failures, reproduced with the processes `npm start`
 * runs: a controller and a workers process on one embedded SQLite file (two connections), the
 * publisher rebuilding a 10,000-flag environment after every change. Admin writes must wait
 * their turn and succeed; none may answer 500, and every change still reaches Redis.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCurrentEnvelope, redisKeys } from '@flagship/evaluator/propagation';
import { AdminClient } from '../../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../../scripts/stack/local-stack.ts';
import { eventually, testRedis, uniquePrefix } from '../test-support/fixtures.ts';

const N = 10_000;
const config = (enabled: boolean) => ({
  enabled,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'on' },
});

describe('admin writes while the publisher works on SQLite', () => {
  let stack: LocalStack | undefined;
  let admin: AdminClient;
  let dir: string;
  const prefix = uniquePrefix();
  const redis = testRedis(prefix);
  const keys = redisKeys(prefix);
  const adminToken = `fsk_test_${randomBytes(16).toString('hex')}`;
  const controllerLines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fs-busy-'));
    stack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [],
      keyPrefix: prefix,
      dataDir: dir,
      adminToken,
      privateRedisFallback: false,
      supervisor: { echo: false },
    });
    stack.controller.lineListeners.add((line) => controllerLines.push(line));
    admin = new AdminClient(stack.apiUrl, adminToken);
    await admin.ok('POST', '/projects', { key: 'p', name: 'p' });
    await admin.ok('POST', '/projects/p/environments', { key: 'dev', name: 'dev' });
    await admin.ok('POST', '/projects/p/environments', { key: 'prod', name: 'prod' });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const served = async (env: string) => (await readCurrentEnvelope(redis.redis, keys, env))?.snapshot;
  const statuses = (replies: Array<{ status: number; body: unknown }>) =>
    replies.filter((r) => r.status >= 300).map((r) => `${r.status} ${JSON.stringify(r.body)}`);

  it('a 10,000-flag import, then writes at once: each waits its turn and succeeds, and reaches Redis', async () => {
    const flags: Record<string, unknown> = {};
    for (let i = 0; i < N; i++)
      flags[`f-${i}`] = { type: 'boolean', variants: { on: true, off: false }, config: config(true) };
    const imported = await admin.request<{ summary: { flags: { created: number } } }>(
      'POST',
      '/projects/p/environments/dev/import',
      { format: 'flagship/v1', environment: 'p.dev', flags, segments: {} },
    );
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    expect(imported.body.summary.flags.created).toBe(N);
    // Each change after the import is a delta: the publisher reads only the flag or segment it names.
    const replies = [];
    for (let i = 0; i < 20; i++)
      replies.push(
        await admin.request('PUT', `/projects/p/environments/dev/flags/f-${i}`, { ...config(false), version: 1 }),
      );
    replies.push(
      await admin.request('POST', '/projects/p/environments/dev/segments', { key: 'beta', included: ['u1'] }),
    );
    expect(statuses(replies)).toEqual([]);
    await eventually(
      async () => {
        const s = await served('p.dev');
        return (
          (s && Object.keys(s.flags).length === N && s.flags['f-19']?.enabled === false && s.segments.beta) || undefined
        );
      },
      60_000,
      'the last write served from Redis',
    );
    expect((await served('p.dev'))!.flags['f-0']?.enabled).toBe(false);
    expect(controllerLines.filter((l) => /database is locked|unhandled error/.test(l))).toEqual([]);
  }, 180_000);

  it('a PUT right after a flag was created, while the publisher rebuilds for the creation, succeeds', async () => {
    const replies = [];
    for (let i = 0; i < 25; i++) {
      replies.push(
        await admin.request('POST', '/projects/p/flags', {
          key: `new-${i}`,
          type: 'boolean',
          variants: { on: true, off: false },
        }),
      );
      replies.push(
        await admin.request('PUT', `/projects/p/environments/dev/flags/new-${i}`, { ...config(true), version: 1 }),
      );
    }
    expect(statuses(replies)).toEqual([]);
    await eventually(
      async () => (await served('p.dev'))?.flags['new-24']?.enabled === true || undefined,
      60_000,
      'the last new flag served on',
    );
    expect(controllerLines.filter((l) => /database is locked|unhandled error/.test(l))).toEqual([]);
  }, 180_000);
});
