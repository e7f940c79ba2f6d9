/** API keys carry an owner (a person), and self-approval compares owners, not key ids. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

describe.each(DIALECTS)('key owners on %s', (dialect) => {
  let t: TestServer;
  const P = '/api/v1/projects/shop';
  beforeAll(async () => {
    t = await startTestServer(dialect);
    await seedProject(t, 'shop', [{ key: 'prod', requireApproval: true }]);
    expect((await t.request('POST', `${P}/flags`, { body: booleanFlag('checkout') })).status).toBe(201);
  });
  afterAll(async () => t?.close());

  it('a key needs an owner: missing or blank is a 400 naming owner; listings show it', async () => {
    const missing = await t.request('POST', '/api/v1/api-keys', { body: { name: 'ci', role: 'editor' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.problems).toEqual([expect.objectContaining({ path: 'owner' })]);
    const blank = await t.request('POST', '/api/v1/api-keys', { body: { name: 'ci', role: 'editor', owner: '   ' } });
    expect(blank.status).toBe(400);
    expect(blank.body.error.problems).toEqual([expect.objectContaining({ path: 'owner' })]);
    const notString = await t.request('POST', '/api/v1/api-keys', { body: { name: 'ci', role: 'editor', owner: 7 } });
    expect(notString.status).toBe(400);
    const ok = await t.request('POST', '/api/v1/api-keys', {
      body: { name: 'ci', role: 'editor', owner: ' alice@example.com ' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.owner).toBe('alice@example.com');
    const listed = (await t.request('GET', '/api/v1/api-keys')).body.items;
    expect(listed.find((k: { id: string }) => k.id === ok.body.id)).toMatchObject({
      owner: 'alice@example.com',
      name: 'ci',
    });
    // The bootstrap key (ADMIN_TOKEN) has the documented owner.
    expect(listed.find((k: { name: string }) => k.name === 'ADMIN_TOKEN')).toMatchObject({ owner: 'bootstrap admin' });
  });

  it('an admin who mints a second key cannot approve their own change request with it', async () => {
    const first = await t.key('admin', null, 'bob laptop', 'bob@example.com');
    const second = await t.key('admin', null, 'bob ci', 'bob@example.com');
    const cr = await t.request('POST', `${P}/environments/prod/change-requests`, {
      token: first.token,
      body: { flag: 'checkout', config: onConfig(), baseVersion: 1, comment: 'launch' },
    });
    expect(cr.status).toBe(201);
    expect(cr.body.author).toMatchObject({ keyId: first.id, owner: 'bob@example.com' });
    const self = await t.request('POST', `${P}/environments/prod/change-requests/${cr.body.id}/approve`, {
      token: second.token,
    });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('SELF_APPROVAL');
    expect((await t.request('GET', `${P}/environments/prod/flags/checkout`)).body).toMatchObject({
      enabled: false,
      version: 1,
    });
    const other = await t.key('approver', null, 'carol', 'carol@example.com');
    const ok = await t.request('POST', `${P}/environments/prod/change-requests/${cr.body.id}/approve`, {
      token: other.token,
    });
    expect(ok.status).toBe(200);
    expect((await t.request('GET', `${P}/environments/prod/flags/checkout`)).body).toMatchObject({
      enabled: true,
      version: 2,
    });
  });
});
