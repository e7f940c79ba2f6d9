/**
 * Browser clients through the admin API on SQLite and MariaDB (docs/api.md, "Browser clients"):
 * a `client` key names exactly one environment and is refused by every admin route; an
 * environment's allowedOrigins are validated, audited and versioned like its other fields; the
 * state the publisher reads carries client keys' hashes apart from SDK keys', the origins and a
 * stream secret that no API answer or audit row shows; revoking a client key drops its hash.
 */
import { hashApiKey } from '@flagship/evaluator/propagation';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnvironmentState } from '../snapshots/load-environment-state.ts';
import { DIALECTS } from '../test-support/test-database.ts';
import { seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

describe.each(DIALECTS)('browser access on %s', (dialect) => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer(dialect);
    await seedProject(t, 'shop', [{ key: 'prod' }, { key: 'dev' }]);
  }, 60_000);
  afterEach(async () => t?.close());

  it('creates client keys for exactly one environment, and the admin API refuses them (403)', async () => {
    for (const environments of [null, [], ['shop.prod', 'shop.dev']]) {
      const r = await t.request('POST', '/api/v1/api-keys', {
        body: { name: 'web', owner: 'ann', role: 'client', environments },
      });
      expect(r.status).toBe(422);
      expect(r.body.error.problems).toContainEqual({
        path: 'environments',
        message: 'a client key names exactly one environment',
      });
    }
    const client = await t.key('client', ['shop.prod'], 'web app');
    expect(client.token).toMatch(/^fsc_/);
    for (const [method, path] of [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/projects'],
      ['GET', '/api/v1/projects/shop/environments/prod'],
      ['GET', '/api/v1/projects/shop/flags'],
      ['POST', '/api/v1/api-keys'],
    ] as const) {
      const r = await t.request(method, path, { token: client.token, body: method === 'POST' ? {} : undefined });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(JSON.stringify(r.body), `${method} ${path}`).toContain('CLIENT_KEY_NOT_ALLOWED');
    }
  });

  it('puts client key hashes apart from SDK key hashes in the published state; a revoke drops them', async () => {
    const client = await t.key('client', ['shop.prod'], 'web app');
    const sdk = await t.key('sdk', ['shop.prod'], 'backend');
    const state = await loadEnvironmentState(t.plane.db, 'shop.prod');
    expect(state!.sdkKeyHashes).toEqual([hashApiKey(sdk.token)]);
    expect(state!.clients.keyHashes).toEqual([hashApiKey(client.token)]);
    expect(state!.clients.allowedOrigins).toEqual([]);
    expect(state!.clients.streamSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const dev = await loadEnvironmentState(t.plane.db, 'shop.dev');
    expect(dev!.clients.keyHashes).toEqual([]);
    expect(dev!.clients.streamSecret).not.toBe(state!.clients.streamSecret);

    expect((await t.request('POST', `/api/v1/api-keys/${client.id}/revoke`)).status).toBe(200);
    expect((await loadEnvironmentState(t.plane.db, 'shop.prod'))!.clients.keyHashes).toEqual([]);
    expect((await t.request('GET', '/api/v1/projects', { token: client.token })).status).toBe(401);
  });

  it('validates, audits and publishes allowedOrigins; the stream secret is in no answer and no audit row', async () => {
    const path = '/api/v1/projects/shop/environments/prod';
    const bad = await t.request('PUT', path, {
      body: {
        version: 1,
        allowedOrigins: [
          'https://app.example.com/',
          '*',
          'ftp://x.example',
          'https://APP.example.com',
          'https://a.b',
          'https://a.b',
        ],
      },
    });
    expect(bad.status).toBe(422);
    const paths = (bad.body.error.problems as Array<{ path: string }>).map((p) => p.path);
    expect(paths).toEqual([
      'allowedOrigins[0]',
      'allowedOrigins[1]',
      'allowedOrigins[2]',
      'allowedOrigins[3]',
      'allowedOrigins[5]',
    ]);
    expect((await t.request('PUT', path, { body: { version: 1, allowedOrigins: 'https://a.b' } })).status).toBe(400);

    const origins = ['https://app.example.com', 'http://localhost:5173'];
    const ok = await t.request('PUT', path, { body: { version: 1, allowedOrigins: origins } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ allowedOrigins: origins, version: 2 });
    expect((await t.request('GET', path)).body.allowedOrigins).toEqual(origins);
    // A rename leaves the list as it is.
    expect((await t.request('PUT', path, { body: { version: 2, name: 'Production' } })).body.allowedOrigins).toEqual(
      origins,
    );
    const state = await loadEnvironmentState(t.plane.db, 'shop.prod');
    expect(state!.clients.allowedOrigins).toEqual(origins);

    const audit = await t.request('GET', '/api/v1/audit?environment=shop.prod');
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('https://app.example.com');
    const secret = state!.clients.streamSecret!;
    expect(audit.text).not.toContain(secret);
    expect((await t.request('GET', '/api/v1/projects/shop/environments')).text).not.toContain(secret);

    const created = await t.request('POST', '/api/v1/projects/shop/environments', {
      body: { key: 'stage', allowedOrigins: ['https://stage.example.com'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.allowedOrigins).toEqual(['https://stage.example.com']);
    expect(created.text).not.toContain('streamSecret');
  });
});
