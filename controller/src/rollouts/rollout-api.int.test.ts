/**
 * The rollout state machine through the admin API and the service, on SQLite and on MariaDB:
 * starting (and refusing bad starts), human commands, approval gates, and ticks applied at most
 * once however many workers try. Scheduling and webhook delivery are recorded in memory here;
 * the BullMQ path runs for real in workers/src/rollouts/rollouts.int.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { WebhookAllowList } from '../webhooks/webhook-address.ts';
import type { WebhookDelivery } from '../webhooks/webhook-service.ts';
import { EMPTY_COUNTERS, type Decision, type TickDecision } from './analysis/decide.ts';
import { MapPolicyCatalog } from './policy-catalog.ts';
import { validatePolicy } from './policy/policy-schema.ts';

const checked = validatePolicy({
  name: 'gated',
  steps: [
    { weight: 10, minDuration: '1m' },
    { weight: 50, minDuration: '1m', approval: true },
    { weight: 100, minDuration: '1m' },
  ],
  analysis: { interval: '10s' },
  traffic: { query: 'req{v="{{variant}}"}' },
  metrics: [{ name: 'err', kind: 'threshold', query: 'err{v="{{variant}}"}', max: 0.02 }],
});
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
const policy = checked.value;

const decision = (d: Decision): TickDecision => ({
  decision: d,
  reason: `test says ${d}`,
  metrics: [],
  srm: undefined,
  counters: EMPTY_COUNTERS,
  traffic: { treatment: { kind: 'nodata' }, control: { kind: 'nodata' } },
});

describe.each(DIALECTS)('rollouts on %s', (dialect) => {
  let t: TestServer;
  const armed: Array<[number, number]> = [];
  const deliveries: WebhookDelivery[] = [];
  const P = '/api/v1/projects/shop/environments/prod/flags';

  beforeAll(async () => {
    t = await startTestServer(dialect, {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['gated', policy]])),
        scheduler: { schedule: async (id, seq) => void armed.push([id, seq]) },
        deliveries: { enqueue: async (d) => void deliveries.push(d) },
      },
      webhooks: { allow: new WebhookAllowList(['127.0.0.1']) },
    });
    await seedProject(t, 'shop', [{ key: 'prod' }]);
    for (const key of ['checkout', 'search', 'off-flag']) {
      expect((await t.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag(key) })).status).toBe(201);
      if (key !== 'off-flag')
        expect(
          (
            await t.request('PUT', `${P}/${key}`, {
              body: { ...onConfig({ defaultRule: { variant: 'off' } }), version: 1 },
            })
          ).status,
        ).toBe(200);
    }
    await t.request('POST', '/api/v1/webhooks', { body: { url: 'http://127.0.0.1:9/hook' } });
  }, 60_000);
  afterAll(async () => t?.close());

  const start = (flag: string, body: Record<string, unknown>) => t.request('POST', `${P}/${flag}/rollouts`, { body });
  const config = async (flag: string) => (await t.request('GET', `${P}/${flag}`)).body;
  // No publisher runs in these tests: empty the outbox as if it had published every change.
  const peek = async (id: number) => {
    await t.plane.db.deleteFrom('outbox').execute();
    return (await t.plane.services.rollouts.peek(id))!;
  };

  it('refuses bad starts with the field and the problem', async () => {
    expect(
      (await start('checkout', { policy: 'nope', treatment: 'on', control: 'off' })).body.error.problems[0],
    ).toMatchObject({ path: 'policy' });
    const badVariant = await start('checkout', { policy: 'gated', treatment: 'blue', control: 'off' });
    expect(badVariant.status).toBe(422);
    expect(badVariant.body.error.problems).toEqual([
      { path: 'treatment', message: 'flag checkout has no variant "blue"' },
    ]);
    expect((await start('checkout', { policy: 'gated', treatment: 'on', control: 'on' })).status).toBe(422);
    expect((await start('checkout', { policy: 'gated', treatment: 'on' })).status).toBe(400);
    expect((await start('off-flag', { policy: 'gated', treatment: 'on', control: 'off' })).body.error.code).toBe(
      'FLAG_DISABLED',
    );
    expect((await t.request('GET', '/api/v1/rollouts')).body.items).toEqual([]);
  });

  it('starts at the first step, writes the ramp into the config, arms the first tick', async () => {
    const r = await start('checkout', { policy: 'gated', treatment: 'on', control: 'off', reason: 'launch' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'running', step: 1, steps: 3, weightPercent: 10, version: 1 });
    expect((await config('checkout')).defaultRule).toEqual({
      split: [
        { variant: 'on', weight: 10_000 },
        { variant: 'off', weight: 90_000 },
      ],
    });
    expect(armed).toContainEqual([r.body.id, 1]);
    expect((await start('checkout', { policy: 'gated', treatment: 'on', control: 'off' })).body.error.code).toBe(
      'ROLLOUT_ACTIVE',
    );
    const audit = (await t.request('GET', '/api/v1/audit?flag=checkout')).body.items.map(
      (e: { action: string }) => e.action,
    );
    expect(audit).toEqual(expect.arrayContaining(['rollout.start', 'rollout.started']));
  });

  it('applies a tick at most once, whatever the number of workers racing for it', async () => {
    const id = (await t.request('GET', '/api/v1/rollouts?flag=checkout')).body.items[0].id;
    const read = await peek(id);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => t.plane.services.rollouts.applyTick(read, decision('advance'), {}, 0)),
    );
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    const after = await peek(id);
    expect(after).toMatchObject({
      stepIndex: 1,
      weightUnits: 50_000,
      tickSeq: read.tickSeq + 1,
      version: read.version + 1,
    });
    expect((await config('checkout')).defaultRule).toEqual({
      split: [
        { variant: 'on', weight: 50_000 },
        { variant: 'off', weight: 50_000 },
      ],
    });
    // The stale read applies nothing, even later.
    expect(await t.plane.services.rollouts.applyTick(read, decision('rollback'), {}, 0)).toBe('stale');
    const view = (await t.request('GET', `/api/v1/rollouts/${id}`)).body;
    expect(view.ticks.filter((x: { seq: number }) => x.seq === read.tickSeq)).toHaveLength(1);
    expect(view.timeline.map((e: { kind: string }) => e.kind)).toEqual(['started', 'advanced']);
    const advances = (await t.request('GET', '/api/v1/audit?flag=checkout&action=rollout.advance')).body.items;
    expect(advances).toHaveLength(1);
    expect(advances[0].actor).toMatchObject({ keyId: 'controller' });
    await t.plane.services.webhooks.drain();
    expect(deliveries.map((d) => d.event)).toContain('rollout.step_completed');
  });

  it('an approval gate holds a healthy step, needs the approver role, and never blocks a rollback', async () => {
    const id = (await t.request('GET', '/api/v1/rollouts?flag=checkout')).body.items[0].id;
    expect(await t.plane.services.rollouts.applyTick(await peek(id), decision('await-approval'), {}, 0)).toBe(
      'applied',
    );
    expect((await peek(id)).status).toBe('awaiting-approval');
    const editor = await t.key('editor');
    expect((await t.request('POST', `/api/v1/rollouts/${id}/approve`, { token: editor.token })).status).toBe(403);
    const approver = await t.key('approver');
    const approved = await t.request('POST', `/api/v1/rollouts/${id}/approve`, {
      token: approver.token,
      body: { reason: 'looks good' },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'running', approvedStep: 2 });
    expect(armed.at(-1)).toEqual([id, (await peek(id)).tickSeq]);
    // Back at the gate, a failing tick rolls back at once: no approval is asked for that.
    await t.plane.services.rollouts.applyTick(await peek(id), decision('await-approval'), {}, 0);
    expect(await t.plane.services.rollouts.applyTick(await peek(id), decision('rollback'), {}, 0)).toBe('applied');
    expect(await peek(id)).toMatchObject({ status: 'rolled-back', weightUnits: 0 });
    expect((await config('checkout')).defaultRule).toEqual({ variant: 'off' });
    await t.plane.services.webhooks.drain();
    expect(deliveries.map((d) => d.event)).toContain('rollout.rolled_back');
  });

  it('pause, resume, abort and retry, each guarded by state and version', async () => {
    const id = (await t.request('GET', '/api/v1/rollouts?flag=checkout')).body.items[0].id;
    expect((await t.request('POST', `/api/v1/rollouts/${id}/pause`)).body.error.code).toBe('INVALID_TRANSITION');
    const retried = await t.request('POST', `/api/v1/rollouts/${id}/retry`, { body: { reason: 'fixed' } });
    expect(retried.body).toMatchObject({ status: 'running', step: 1, weightPercent: 10 });
    expect(
      (await t.request('POST', `/api/v1/rollouts/${id}/pause`, { body: { version: retried.body.version - 1 } })).status,
    ).toBe(409);
    const paused = await t.request('POST', `/api/v1/rollouts/${id}/pause`, { body: { version: retried.body.version } });
    expect(paused.body.status).toBe('paused');
    // A paused rollout ignores the tick it had armed.
    expect(await t.plane.services.rollouts.applyTick(await peek(id), decision('advance'), {}, 0)).toBe('stale');
    expect((await t.request('POST', `/api/v1/rollouts/${id}/resume`)).body.status).toBe('running');
    const aborted = await t.request('POST', `/api/v1/rollouts/${id}/abort`, { body: { reason: 'changed our minds' } });
    expect(aborted.body).toMatchObject({ status: 'aborted', weightPercent: 0 });
    expect((await config('checkout')).defaultRule).toEqual({ variant: 'off' });
    const kinds = (await t.request('GET', `/api/v1/rollouts/${id}`)).body.timeline.map((e: { kind: string }) => e.kind);
    expect(kinds.slice(-4)).toEqual(['retried', 'paused', 'resumed', 'aborted']);
  });

  it('a step whose weight is not served yet is held and its clock restarted; a rollback does not wait', async () => {
    const r = await start('search', { policy: 'gated', treatment: 'on', control: 'off' });
    const read = (await t.plane.services.rollouts.peek(r.body.id))!; // the start's outbox row is still pending
    expect(await t.plane.services.rollouts.applyTick(read, decision('advance'), {}, 0)).toBe('applied');
    const held = (await t.request('GET', `/api/v1/rollouts/${r.body.id}`)).body;
    expect(held).toMatchObject({ status: 'running', step: 1, weightPercent: 10 });
    expect(held.ticks[0]).toMatchObject({
      decision: 'hold',
      reason: expect.stringMatching(/not served by the evaluators yet \(advance deferred\)/),
    });
    expect(Date.parse(held.stepStartedAt)).toBeGreaterThan(Date.parse(read.stepStartedAt) - 1);
    const again = (await t.plane.services.rollouts.peek(r.body.id))!;
    await t.plane.db
      .insertInto('outbox')
      .values({
        environment_id: 'shop.prod',
        kind: 'flag-config',
        entity_key: 'x',
        created_at: new Date().toISOString(),
      })
      .execute();
    expect(await t.plane.services.rollouts.applyTick(again, decision('rollback'), {}, 0)).toBe('applied');
    expect((await t.plane.services.rollouts.peek(r.body.id))!).toMatchObject({ status: 'rolled-back', weightUnits: 0 });
    await t.request('POST', `/api/v1/rollouts/${r.body.id}/retry`);
  });

  it('a kill switch during a rollout pauses it at the next tick', async () => {
    // The search rollout the test before retried: running again at step 1.
    const r = { body: (await t.request('GET', '/api/v1/rollouts?flag=search&status=running')).body.items[0] };
    expect(
      (await t.request('POST', '/api/v1/projects/shop/flags/search/kill', { body: { reason: 'incident' } })).status,
    ).toBe(200);
    expect(await t.plane.services.rollouts.applyTick(await peek(r.body.id), decision('advance'), {}, 0)).toBe(
      'applied',
    );
    expect(await peek(r.body.id)).toMatchObject({ status: 'paused', stepIndex: 0 });
    expect((await peek(r.body.id)).lastReason).toMatch(/kill switch/);
  });

  it('lists by several statuses and by when a rollout last changed, and names a bad filter', async () => {
    const all = (await t.request('GET', '/api/v1/rollouts')).body.items as Array<{
      id: number;
      status: string;
      updatedAt: string;
    }>;
    const wanted = new Set(['paused', 'rolled-back']);
    const both = await t.request('GET', '/api/v1/rollouts?status=paused,rolled-back');
    expect(both.status).toBe(200);
    expect(both.body.items.map((r: { id: number }) => r.id)).toEqual(
      all.filter((r) => wanted.has(r.status)).map((r) => r.id),
    );
    expect(both.body.items.length).toBeGreaterThan(0);
    const newest = all
      .map((r) => r.updatedAt)
      .sort()
      .at(-1)!;
    const since = await t.request('GET', `/api/v1/rollouts?from=${encodeURIComponent(newest)}`);
    expect(since.body.items.map((r: { updatedAt: string }) => r.updatedAt)).toEqual(
      all.filter((r) => r.updatedAt >= newest).map((r) => r.updatedAt),
    );
    const until = await t.request('GET', `/api/v1/rollouts?to=${encodeURIComponent(newest)}`);
    expect(until.body.items.length).toBe(all.filter((r) => r.updatedAt < newest).length);
    const bad = await t.request('GET', '/api/v1/rollouts?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems[0].path).toBe('query.from');
    const badStatus = await t.request('GET', '/api/v1/rollouts?status=paused,gone');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.problems[0].path).toBe('query.status');
  });
});
