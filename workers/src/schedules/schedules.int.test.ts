/**
 * Scheduled changes end to end, every part real: the stack as `npm start` runs it (controller,
 * workers, an evaluator) on SQLite and on MariaDB (a database of this test's own), the shared
 * Redis under a unique prefix (BullMQ's delayed jobs included), and a webhook receiver that
 * checks signatures. Each test shows one promise of docs/api.md ("Schedules").
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@flagship/controller';
import { createTestDatabase, type TestDatabase } from '@flagship/controller/testing';
import { AdminClient } from '../../../scripts/stack/admin-client.ts';
import { type LocalStack, startLocalStack } from '../../../scripts/stack/local-stack.ts';
import { eventually, testRedis, uniquePrefix } from '../test-support/fixtures.ts';

interface Schedule {
  id: number;
  status: string;
  at: string;
  outcome: string | null;
  appliedVersion: number | null;
  rolloutId: number | null;
  changeRequestId: string | null;
}
interface AuditRow {
  action: string;
  entityKey: string;
  actor: { keyId: string; name: string; owner?: string };
  after: Record<string, unknown> | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString();
const POLICY = [
  'name: sched',
  'steps:',
  '  - { weight: 25, minDuration: 1m }',
  '  - { weight: 100, minDuration: 1m }',
  'analysis: { interval: 30s, initialDelay: 30s, prometheus: { timeout: 1s } }',
  'traffic: { query: \'sum(x{variant="{{variant}}"})\' }',
  'metrics:',
  '  - { name: e, kind: threshold, query: \'sum(e{variant="{{variant}}"})\', max: 1 }',
  '',
].join('\n');

describe.each(['sqlite', 'mysql'] as const)('scheduled changes end to end on %s', (dialect) => {
  const prefix = uniquePrefix();
  const adminToken = `fsk_test_${randomBytes(16).toString('hex')}`;
  let db: TestDatabase | undefined;
  let dir: string;
  let stack: LocalStack;
  let admin: AdminClient;
  let sdkKey: string;
  let hooks: Server;
  let webhookId: number;
  const received: Array<{ event: string; payload: Record<string, unknown>; valid: boolean }> = [];
  const secret = 'schedule-webhook-secret-0123456789';

  beforeAll(async () => {
    if (dialect === 'mysql') db = await createTestDatabase('mysql', { migrate: false });
    dir = mkdtempSync(join(tmpdir(), 'fs-schedules-'));
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies', 'sched.yaml'), POLICY);
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const ts = Number(req.headers['x-flagship-timestamp']);
        const parsed = JSON.parse(body) as { data: Record<string, unknown> };
        received.push({
          event: String(req.headers['x-flagship-event']),
          payload: parsed.data,
          valid: verifyWebhook(secret, ts, body, String(req.headers['x-flagship-signature'])),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    stack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [0],
      keyPrefix: prefix,
      dataDir: dir,
      adminToken,
      ...(db ? { databaseUrl: db.config.databaseUrl } : {}),
      privateRedisFallback: false,
      supervisor: { echo: false },
      env: {
        POLICIES_DIR: join(dir, 'policies'),
        PROMETHEUS_URL: 'http://127.0.0.1:1',
        QUEUE_PREFIX: `${prefix}q`,
        WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      },
    });
    admin = new AdminClient(stack.apiUrl, adminToken);
    ({ sdkKey } = await admin.setUpBooleanFlag('shop', 'prod', 'launch'));
    await admin.ok('POST', '/projects/shop/environments', { key: 'live', name: 'live', requireApproval: true });
    for (const flag of ['conf', 'restart', 'gone', 'ramp', 'race'])
      await admin.ok('POST', '/projects/shop/flags', {
        key: flag,
        type: 'boolean',
        variants: { on: true, off: false },
      });
    const hook = await admin.ok<{ id: number }>('POST', '/webhooks', {
      url: `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hook`,
      secret,
      events: ['schedule.applied', 'schedule.conflicted', 'schedule.expired'],
    });
    webhookId = hook.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await new Promise((r) => hooks?.close(r));
    await testRedis(prefix).cleanup();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const schedule = (flag: string, body: Record<string, unknown>, env = 'prod') =>
    admin.request<Schedule & { error?: { code: string; problems?: unknown[] } }>(
      'POST',
      `/projects/shop/environments/${env}/flags/${flag}/schedules`,
      body,
    );
  const get = (id: number) => admin.ok<Schedule>('GET', `/schedules/${id}`);
  const settled = (id: number, ms = 20_000) =>
    eventually(
      async () => {
        const s = await get(id);
        return ['scheduled', 'awaiting-approval'].includes(s.status) ? undefined : s;
      },
      ms,
      `schedule ${id} to settle`,
      100,
    );
  const config = (flag: string, env = 'prod') =>
    admin.ok<{ version: number; enabled: boolean; defaultRule: unknown }>(
      'GET',
      `/projects/shop/environments/${env}/flags/${flag}`,
    );
  /** Every audit row matching the query, all pages. */
  async function audit(query: string): Promise<AuditRow[]> {
    const rows: AuditRow[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r: { items: AuditRow[]; nextCursor: string | null } = await admin.ok(
        'GET',
        `/audit?${query}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      rows.push(...r.items);
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    return rows;
  }
  const evaluate = async (flag: string): Promise<{ value: unknown; reason: string }> => {
    const r = await fetch(`${stack.evaluatorUrls[0]}/ofrep/v1/evaluate/flags/${flag}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
    });
    return (await r.json()) as { value: unknown; reason: string };
  };
  const hooked = (event: string, id: number) =>
    eventually(
      () => received.find((r) => r.event === event && r.payload.schedule === id),
      15_000,
      `webhook ${event} for schedule ${id}`,
      50,
    );

  it('refuses bad bodies with 4xx naming the field', async () => {
    const at = isoIn(60_000);
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ at, action: 'enable', config: {} }, 400, 'action'],
      [{ at }, 400, 'config'],
      [{ at: '2030-01-01T09:00:00', action: 'enable' }, 400, 'at'],
      [{ at: '2020-01-01T09:00:00Z', action: 'enable' }, 422, 'at'],
      [{ at, config: { enabled: true, defaultRule: { variant: 'nope' } }, baseVersion: 99 }, 409, ''],
      [{ at, rollout: { policy: 'none', treatment: 'on', control: 'off' } }, 422, 'rollout.policy'],
      [{ at, rollout: { policy: 'sched', treatment: 'on', control: 'maybe' } }, 422, 'rollout.control'],
    ];
    for (const [body, status, path] of cases) {
      const r = await schedule('launch', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      if (path) expect(JSON.stringify(r.body.error?.problems)).toContain(`"path":"${path}`);
    }
    const current = await config('launch');
    const bad = await schedule('launch', {
      at,
      config: {
        enabled: true,
        offVariant: 'off',
        prerequisites: [],
        targets: [],
        rules: [],
        defaultRule: { variant: 'nope' },
      },
      baseVersion: current.version,
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body.error?.problems)).toContain('"path":"config.defaultRule');
  });

  it('is served by the evaluator within 1 s after `at`, applied once by the scheduler for its author', async () => {
    expect(await evaluate('launch')).toMatchObject({ value: true });
    const created = await schedule('launch', { at: isoIn(2_500), action: 'disable', comment: 'end of sale' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'scheduled', changeRequestId: null });
    const atMs = Date.parse(created.body.at);
    const servedAt = await eventually(
      async () => ((await evaluate('launch')).value === false ? Date.now() : undefined),
      10_000,
      'the evaluator to serve the scheduled change',
      20,
    );
    expect(servedAt).toBeGreaterThanOrEqual(atMs);
    expect(servedAt - atMs).toBeLessThanOrEqual(1_000);
    console.log(JSON.stringify({ dialect, servedAfterAtMs: servedAt - atMs }));
    const done = await settled(created.body.id);
    expect(done).toMatchObject({ status: 'applied', appliedVersion: (await config('launch')).version });
    const rows = await audit('flag=launch&actor=scheduler');
    expect(rows.map((r) => r.action).sort()).toEqual(['schedule.applied', 'schedule.apply']);
    expect(rows[0]!.actor).toEqual({
      keyId: 'scheduler',
      name: 'scheduler on behalf of bootstrap admin',
      owner: 'bootstrap admin',
    });
    const hook = await hooked('schedule.applied', created.body.id);
    expect(hook.valid).toBe(true);
    expect(hook.payload).toMatchObject({ environment: 'shop.prod', flag: 'launch', status: 'applied' });
  });

  it('a config moved past baseVersion is conflicted: not applied, audited, sent to webhooks', async () => {
    const base = await config('conf');
    const created = await schedule('conf', {
      at: isoIn(2_000),
      config: {
        enabled: true,
        offVariant: 'off',
        prerequisites: [],
        targets: [],
        rules: [],
        defaultRule: { variant: 'on' },
      },
      baseVersion: base.version,
    });
    expect(created.status).toBe(201);
    const moved = await admin.putConfig('shop', 'prod', 'conf', base.version, {
      enabled: true,
      defaultRule: { variant: 'off' },
    });
    const done = await settled(created.body.id);
    expect(done.status).toBe('conflicted');
    expect(done.outcome).toMatch(/BASE_MOVED/);
    expect(await config('conf')).toMatchObject({ version: moved.version, defaultRule: { variant: 'off' } });
    expect((await audit(`flag=conf&actor=scheduler`)).map((r) => r.action)).toEqual(['schedule.conflicted']);
    expect((await hooked('schedule.conflicted', created.body.id)).valid).toBe(true);
  });

  it('approval-required: unapproved at `at` it expires; approved by someone else it is applied', async () => {
    const unapproved = await schedule('gone', { at: isoIn(2_000), action: 'enable' }, 'live');
    expect(unapproved.status).toBe(201);
    expect(unapproved.body).toMatchObject({ status: 'awaiting-approval', changeRequestId: expect.any(String) });
    const approved = await schedule('restart', { at: isoIn(4_000), action: 'enable' }, 'live');
    const crPath = `/projects/shop/environments/live/change-requests/${approved.body.changeRequestId}`;
    expect(await admin.ok('GET', crPath)).toMatchObject({
      kind: 'schedule',
      status: 'pending',
      schedule: { kind: 'action' },
    });
    const self = await admin.request<{ error: { code: string } }>('POST', `${crPath}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('SELF_APPROVAL');
    const approver = await admin.ok<{ token: string }>('POST', '/api-keys', {
      name: 'ann',
      owner: 'ann',
      role: 'approver',
    });
    const ann = new AdminClient(stack.apiUrl, approver.token);
    expect(await ann.ok('POST', `${crPath}/approve`, { comment: 'go' })).toMatchObject({ status: 'applied' });
    expect(await get(approved.body.id)).toMatchObject({ status: 'scheduled', approvedBy: { owner: 'ann' } });

    const expired = await settled(unapproved.body.id);
    expect(expired.status).toBe('expired');
    expect((await config('gone', 'live')).enabled).toBe(false);
    expect((await audit('flag=gone&actor=scheduler')).map((r) => r.action)).toEqual(['schedule.expired']);
    expect((await hooked('schedule.expired', unapproved.body.id)).valid).toBe(true);
    expect(
      await admin.ok('GET', `/projects/shop/environments/live/change-requests/${unapproved.body.changeRequestId}`),
    ).toMatchObject({
      status: 'cancelled',
    });
    expect(await settled(approved.body.id)).toMatchObject({ status: 'applied' });
    expect((await config('restart', 'live')).enabled).toBe(true);
  });

  it('a rollout schedule starts the rollout as the start route does', async () => {
    const current = await config('ramp');
    await admin.putConfig('shop', 'prod', 'ramp', current.version, { enabled: true, defaultRule: { variant: 'off' } });
    const created = await schedule('ramp', {
      at: isoIn(1_500),
      rollout: { policy: 'sched', treatment: 'on', control: 'off' },
    });
    expect(created.status).toBe(201);
    const done = await settled(created.body.id);
    expect(done).toMatchObject({ status: 'applied', rolloutId: expect.any(Number) });
    expect(await admin.ok('GET', `/rollouts/${done.rolloutId}`)).toMatchObject({
      status: 'running',
      weightPercent: 25,
      policy: 'sched',
    });
  });

  it('cancel works up to application; a cancel racing application: exactly one wins', async () => {
    const early = await schedule('race', { at: isoIn(1_500), action: 'enable' });
    expect((await admin.request('POST', `/schedules/${early.body.id}/cancel`, { comment: 'not yet' })).status).toBe(
      200,
    );
    await sleep(2_500);
    expect(await get(early.body.id)).toMatchObject({
      status: 'cancelled',
      outcome: 'cancelled by bootstrap admin: not yet',
    });
    expect((await config('race')).enabled).toBe(false);
    expect((await admin.request('POST', `/schedules/${early.body.id}/cancel`)).status).toBe(409);

    // 30 schedules due at one instant, each cancelled around that instant (from 50 ms before to 300 ms after, where the applications land).
    const at = isoIn(2_500);
    const ids: number[] = [];
    for (let i = 0; i < 30; i++)
      ids.push((await schedule('race', { at, action: i % 2 ? 'enable' : 'disable' })).body.id);
    const atMs = Date.parse(at);
    const cancels = await Promise.all(
      ids.map(async (id, i) => {
        await sleep(Math.max(0, atMs - Date.now() - 50 + i * 12));
        return (await admin.request('POST', `/schedules/${id}/cancel`)).status;
      }),
    );
    const final = await Promise.all(ids.map((id) => settled(id)));
    const applied = new Set((await audit('flag=race&action=schedule.applied')).map((r) => Number(r.entityKey)));
    for (const [i, s] of final.entries()) {
      if (cancels[i] === 200) {
        expect(s.status).toBe('cancelled');
        expect(applied.has(s.id)).toBe(false);
      } else {
        expect(cancels[i]).toBe(409);
        expect(s.status).toBe('applied');
        expect(applied.has(s.id)).toBe(true);
      }
    }
    console.log(JSON.stringify({ dialect, raced: ids.length, cancelled: cancels.filter((c) => c === 200).length }));
    // Each applied schedule wrote the config once: one config audit row per application.
    const writes = (await audit('flag=race&action=schedule.apply')).length;
    expect(writes).toBe(final.filter((s) => s.status === 'applied').length);
  });

  it('survives a restart of the workers across its due time and is applied once', async () => {
    const before = await config('restart', 'prod');
    expect(before.enabled).toBe(false);
    stack.workers.process.kill('SIGKILL');
    await stack.workers.exited;
    const created = await schedule('restart', { at: isoIn(1_500), action: 'enable' });
    expect(created.status).toBe(201);
    await sleep(3_000);
    expect(await get(created.body.id)).toMatchObject({ status: 'scheduled' });
    expect((await config('restart')).enabled).toBe(false);
    await stack.startWorkers();
    expect(await settled(created.body.id)).toMatchObject({ status: 'applied' });
    expect((await config('restart')).enabled).toBe(true);
    await sleep(1_000); // a second run of the job (the reconciler re-arms at start) must change nothing
    const rows = await audit('flag=restart&environment=shop.prod&actor=scheduler');
    expect(rows.map((r) => r.action).sort()).toEqual(['schedule.applied', 'schedule.apply']);
  });

  it('1,000 schedules due in the same second are each applied exactly once', async () => {
    // No webhook for this one: 1,000 deliveries would measure the receiver, not the schedules.
    await admin.ok('DELETE', `/webhooks/${webhookId}`);
    const flags = Array.from({ length: 10 }, (_, i) => `bulk-${i}`);
    for (const key of flags)
      await admin.ok('POST', '/projects/shop/flags', { key, type: 'boolean', variants: { on: true, off: false } });
    const startedAt = Date.now();
    const at = isoIn(20_000);
    const ids: number[] = [];
    let next = 0;
    // Eight requests in flight: the API's pace, not the test's loop, bounds the creation time.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 1_000) {
          const i = next++;
          const r = await schedule(flags[i % flags.length]!, { at, action: i % 2 ? 'enable' : 'disable' });
          if (r.status !== 201) throw new Error(`schedule ${i}: ${r.status} ${JSON.stringify(r.body)}`);
          ids.push(r.body.id);
        }
      }),
    );
    const createdMs = Date.now() - startedAt;
    expect(Date.now(), `creating 1,000 schedules took ${createdMs} ms`).toBeLessThan(Date.parse(at));
    const atMs = Date.parse(at);
    await eventually(
      async () => {
        const r = await admin.ok<{ items: Schedule[] }>('GET', '/schedules?project=shop&status=scheduled&limit=1');
        return r.items.some((s) => ids.includes(s.id)) ? undefined : true;
      },
      60_000 + Math.max(0, atMs - Date.now()),
      'every bulk schedule to leave scheduled',
      250,
    );
    const doneMs = Date.now() - atMs;
    const appliedRows = (await audit('project=shop&action=schedule.applied')).filter((r) =>
      ids.includes(Number(r.entityKey)),
    );
    expect(appliedRows).toHaveLength(1_000);
    expect(new Set(appliedRows.map((r) => r.entityKey)).size).toBe(1_000);
    const writes = (await Promise.all(flags.map((f) => audit(`flag=${f}&action=schedule.apply`)))).flat();
    expect(writes).toHaveLength(1_000);
    console.log(JSON.stringify({ dialect, created1000Ms: createdMs, applied1000AfterAtMs: doneMs }));
  }, 120_000);
});
