/**
 * Key lifecycle (issue 8, item 9) through the admin API on SQLite and MariaDB: the last-admin
 * guard counts only admins without an environment list, and deleting an environment revokes the
 * keys limited to it, narrows keys that list it among others, and aborts its active rollouts
 * (audited; a tick computed before the delete writes nothing; a `rollout.rolled_back` webhook
 * outbox row per abort, as any abort) in the delete's transaction.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_COUNTERS, type TickDecision } from '../rollouts/analysis/decide.ts';
import { MapPolicyCatalog } from '../rollouts/policy-catalog.ts';
import { validatePolicy } from '../rollouts/policy/policy-schema.ts';
import { DIALECTS } from '../test-support/test-database.ts';
import { WebhookAllowList } from '../webhooks/webhook-address.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

const checked = validatePolicy({
  name: 'ramp',
  steps: [
    { weight: 10, minDuration: '1m' },
    { weight: 100, minDuration: '1m' },
  ],
  analysis: { interval: '10s' },
  traffic: { query: 'req{v="{{variant}}"}' },
  metrics: [{ name: 'err', kind: 'threshold', query: 'err{v="{{variant}}"}', max: 0.02 }],
});
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));

describe.each(DIALECTS)('key lifecycle on %s', (dialect) => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer(dialect, {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['ramp', checked.value]])),
        scheduler: { schedule: async () => {} },
        deliveries: { enqueue: async () => {} },
      },
    });
    await seedProject(t, 'shop', [{ key: 'prod' }, { key: 'dev' }]);
  }, 60_000);
  afterEach(async () => t?.close());

  const bootstrapKeyId = async () =>
    ((await t.request('GET', '/api/v1/api-keys')).body.items as Array<{ id: string; name: string }>).find(
      (k) => k.name === 'ADMIN_TOKEN',
    )!.id;

  it('refuses to revoke the last admin without an environment list, whatever scoped admins exist', async () => {
    const scoped = await t.key('admin', ['shop.prod'], 'prod admin');
    const bootstrap = await bootstrapKeyId();
    const refused = await t.request('POST', `/api/v1/api-keys/${bootstrap}/revoke`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('LAST_ADMIN');
    expect((await t.request('GET', '/api/v1/projects')).status).toBe(200); // still in
    // With a second unrestricted admin the first may go; the scoped one never counted.
    const second = await t.key('admin', null, 'second admin');
    expect((await t.request('POST', `/api/v1/api-keys/${bootstrap}/revoke`, { token: second.token })).status).toBe(200);
    expect(
      (await t.request('POST', `/api/v1/api-keys/${second.id}/revoke`, { token: second.token })).body.error.code,
    ).toBe('LAST_ADMIN');
    expect((await t.request('POST', `/api/v1/api-keys/${scoped.id}/revoke`, { token: second.token })).status).toBe(200);
  });

  it('deleting an environment revokes its keys, narrows keys listing others, and aborts its rollouts', async () => {
    const P = '/api/v1/projects/shop/environments/dev/flags';
    for (const key of ['checkout', 'search']) {
      expect((await t.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag(key) })).status).toBe(201);
      expect(
        (
          await t.request('PUT', `${P}/${key}`, {
            body: { ...onConfig({ defaultRule: { variant: 'off' } }), version: 1 },
          })
        ).status,
      ).toBe(200);
    }
    const running = await t.request('POST', `${P}/checkout/rollouts`, {
      body: { policy: 'ramp', treatment: 'on', control: 'off' },
    });
    expect(running.status).toBe(201);
    const paused = await t.request('POST', `${P}/search/rollouts`, {
      body: { policy: 'ramp', treatment: 'on', control: 'off' },
    });
    expect((await t.request('POST', `/api/v1/rollouts/${paused.body.id}/pause`, { body: {} })).status).toBe(200);
    const devEditor = await t.key('editor', ['shop.dev'], 'dev editor');
    const devSdk = await t.key('sdk', ['shop.dev'], 'dev sdk');
    const both = await t.key('editor', ['shop.dev', 'shop.prod'], 'dev+prod editor');
    const readBefore = (await t.plane.services.rollouts.peek(running.body.id))!;

    expect((await t.request('DELETE', '/api/v1/projects/shop/environments/dev')).status).toBe(204);

    const keys = (await t.request('GET', '/api/v1/api-keys')).body.items as Array<{
      id: string;
      revokedAt: string | null;
      environments: string[] | null;
    }>;
    const byId = (id: string) => keys.find((k) => k.id === id)!;
    expect(byId(devEditor.id).revokedAt).not.toBeNull();
    expect(byId(devSdk.id).revokedAt).not.toBeNull();
    expect(byId(both.id)).toMatchObject({ revokedAt: null, environments: ['shop.prod'] });
    expect((await t.request('GET', '/api/v1/projects/shop/environments/prod', { token: devEditor.token })).status).toBe(
      401,
    );
    expect((await t.request('GET', '/api/v1/projects/shop/environments/prod', { token: both.token })).status).toBe(200);

    // An environment created again under the same key belongs to none of the old keys.
    expect((await t.request('POST', '/api/v1/projects/shop/environments', { body: { key: 'dev' } })).status).toBe(201);
    expect((await t.request('GET', '/api/v1/projects/shop/environments/dev', { token: both.token })).status).toBe(403);

    for (const id of [running.body.id, paused.body.id]) {
      const r = await t.request('GET', `/api/v1/rollouts/${id}`);
      expect(r.body).toMatchObject({ status: 'aborted', lastReason: 'environment deleted' });
    }
    const audit = (await t.request('GET', '/api/v1/audit?action=rollout.aborted')).body.items as Array<{
      entityKey: string;
      reason: string;
    }>;
    expect(audit.map((a) => a.entityKey).sort()).toEqual([String(running.body.id), String(paused.body.id)].sort());
    expect(audit.every((a) => a.reason === 'environment deleted')).toBe(true);
    const keyAudit = (await t.request('GET', '/api/v1/audit?action=key.revoke')).body.items as Array<{
      entityKey: string;
      reason: string;
    }>;
    expect(keyAudit.map((a) => a.entityKey).sort()).toEqual([devEditor.id, devSdk.id].sort());

    // A tick computed from the record read before the delete writes nothing.
    const advance: TickDecision = {
      decision: 'advance',
      reason: 'healthy',
      metrics: [],
      srm: undefined,
      counters: EMPTY_COUNTERS,
      traffic: { treatment: { kind: 'nodata' }, control: { kind: 'nodata' } },
    };
    await t.plane.db.deleteFrom('outbox').execute();
    expect(await t.plane.services.rollouts.applyTick(readBefore, advance, {}, 0)).toBe('stale');
    expect((await t.plane.services.rollouts.peek(running.body.id))!.status).toBe('aborted');
    expect((await t.request('GET', `/api/v1/rollouts/${running.body.id}`)).body.ticks ?? []).toEqual([]);
  });
});

describe.each(DIALECTS)('rollout webhooks of a deleted environment on %s', (dialect) => {
  let t: TestServer;
  let failCommit = false;
  let wakes = 0;
  beforeEach(async () => {
    failCommit = false;
    wakes = 0;
    t = await startTestServer(dialect, {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['ramp', checked.value]])),
        scheduler: { schedule: async () => {} },
        deliveries: { enqueue: async () => {} },
      },
      webhooks: {
        allow: new WebhookAllowList(['127.0.0.1']),
        wake: () => {
          wakes++;
        },
      },
      // Fails the transaction at its very end, after every row of it was written.
      hooks: {
        beforeCommit: async () => {
          if (failCommit) throw new Error('injected failure before COMMIT');
        },
      },
    });
    await seedProject(t, 'shop', [{ key: 'prod' }, { key: 'dev' }]);
  }, 60_000);
  afterEach(async () => t?.close());

  it("each aborted rollout writes a rollout.rolled_back outbox row in the delete's transaction, and none when it rolls back", async () => {
    const P = '/api/v1/projects/shop/environments/dev/flags';
    const hook = await t.request('POST', '/api/v1/webhooks', {
      body: { url: 'http://127.0.0.1:9/hook', events: ['rollout.rolled_back'] },
    });
    expect(hook.status, hook.text).toBe(201);
    const ids: number[] = [];
    for (const key of ['checkout', 'search']) {
      expect((await t.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag(key) })).status).toBe(201);
      expect(
        (
          await t.request('PUT', `${P}/${key}`, {
            body: { ...onConfig({ defaultRule: { variant: 'off' } }), version: 1 },
          })
        ).status,
      ).toBe(200);
      const started = await t.request('POST', `${P}/${key}/rollouts`, {
        body: { policy: 'ramp', treatment: 'on', control: 'off' },
      });
      expect(started.status, started.text).toBe(201);
      ids.push(started.body.id);
    }
    expect((await t.request('POST', `/api/v1/rollouts/${ids[1]}/pause`, { body: {} })).status).toBe(200);
    const outbox = () => t.plane.db.selectFrom('webhook_outbox').selectAll().execute();
    expect(await outbox()).toEqual([]); // a pause notifies only subscribers of rollout.paused

    wakes = 0;
    failCommit = true;
    expect((await t.request('DELETE', '/api/v1/projects/shop/environments/dev')).status).toBe(500);
    failCommit = false;
    expect(await outbox()).toEqual([]);
    expect(wakes).toBe(0);
    expect((await t.request('GET', `/api/v1/rollouts/${ids[0]}`)).body.status).toBe('running');

    expect((await t.request('DELETE', '/api/v1/projects/shop/environments/dev')).status).toBe(204);
    const rows = await outbox();
    expect(rows).toHaveLength(2);
    const payloads = rows
      .map((r) => ({
        event: r.event,
        webhookId: r.webhook_id,
        payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
      }))
      .sort((a, b) => a.payload.rollout - b.payload.rollout);
    expect(payloads).toEqual(
      ids.map((id, i) => ({
        event: 'rollout.rolled_back',
        webhookId: hook.body.id,
        payload: {
          rollout: id,
          flag: ['checkout', 'search'][i],
          environment: 'shop.dev',
          policy: 'ramp',
          status: 'aborted',
          step: 1,
          weightPercent: 0,
          reason: 'environment deleted',
        },
      })),
    );
    expect(wakes).toBe(1);
  });
});
