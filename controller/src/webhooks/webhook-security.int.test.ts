/**
 * Webhooks through the admin API on SQLite and MariaDB: secrets sealed at rest and shown once,
 * create and delete audited in their transaction, private destinations refused at creation with
 * a 400 naming `url` unless WEBHOOK_ALLOW_HOSTS allows them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/test-database.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';
import { WebhookAllowList } from './webhook-address.ts';

describe.each(DIALECTS)('webhook security on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(dialect, {
      webhooks: { allow: new WebhookAllowList(['127.0.0.1', 'hooks.internal', '10.20.0.0/16']) },
    });
  }, 60_000);
  afterAll(async () => t?.close());

  it('seals the secret at rest, shows it once, never lists it', async () => {
    const secret = `plain-secret-${'x'.repeat(115)}`; // the longest allowed: MySQL's column must hold it sealed
    expect(secret.length).toBe(128);
    const created = await t.request('POST', '/api/v1/webhooks', { body: { url: 'http://127.0.0.1:9/hook', secret } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toBe(secret);
    const row = await t.plane.db
      .selectFrom('webhooks')
      .select('secret')
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).not.toContain(secret.slice(0, 16));
    expect(row.secret).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(await t.plane.services.webhooks.target(created.body.id)).toEqual({
      ok: true,
      url: 'http://127.0.0.1:9/hook',
      secret,
    });
    const listed = await t.request('GET', '/api/v1/webhooks');
    expect(listed.body.items.find((w: { id: number }) => w.id === created.body.id)).not.toHaveProperty('secret');
    expect(listed.text).not.toContain(secret);
    const generated = await t.request('POST', '/api/v1/webhooks', { body: { url: 'http://hooks.internal/x' } });
    expect(generated.body.secret).toMatch(/^[\w-]{32}$/);
    const genRow = await t.plane.db
      .selectFrom('webhooks')
      .select('secret')
      .where('id', '=', generated.body.id)
      .executeTakeFirstOrThrow();
    expect(genRow.secret).not.toContain(generated.body.secret);
  });

  it('audits creation and deletion, without the secret', async () => {
    const created = await t.request('POST', '/api/v1/webhooks', {
      body: { url: 'http://10.20.1.2/hook', secret: 'audited-secret-0123456789' },
    });
    expect(created.status).toBe(201);
    expect((await t.request('DELETE', `/api/v1/webhooks/${created.body.id}`)).status).toBe(204);
    const rows = await t.plane.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_type', '=', 'webhook')
      .where('entity_key', '=', String(created.body.id))
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.action)).toEqual(['webhook.create', 'webhook.delete']);
    expect(JSON.stringify(rows)).not.toContain('audited-secret');
    expect(JSON.parse(rows[0]!.after_json!)).toEqual({ url: 'http://10.20.1.2/hook', events: expect.any(Array) });
    expect(JSON.parse(rows[1]!.before_json!)).toMatchObject({ url: 'http://10.20.1.2/hook' });
    expect((await t.request('DELETE', `/api/v1/webhooks/${created.body.id}`)).status).toBe(404);
  });

  it('refuses private, loopback, link-local and credential-carrying URLs with a 400 naming url', async () => {
    for (const url of [
      'http://127.0.0.2/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:8080/',
      'http://192.168.1.1/',
      'http://[fe80::1]/',
      'http://0.0.0.0/',
      'http://[::ffff:10.0.0.1]/',
      'http://localhost:9/',
      'https://user:pw@hooks.example.com/',
    ]) {
      const r = await t.request('POST', '/api/v1/webhooks', { body: { url } });
      expect(r.status, url).toBe(400);
      expect(r.body.error.problems, url).toEqual([{ path: 'url', message: expect.any(String) }]);
    }
    const before = await t.plane.db.selectFrom('webhooks').select('id').execute();
    expect(
      (await t.request('POST', '/api/v1/webhooks', { body: { url: 'http://169.254.169.254/' } })).body.error.problems[0]
        .message,
    ).toMatch(/link-local/);
    expect(await t.plane.db.selectFrom('webhooks').select('id').execute()).toEqual(before);
    expect(
      (await t.request('POST', '/api/v1/webhooks', { body: { url: 'https://hooks.example.com/flagship' } })).status,
    ).toBe(201);
  });
});
