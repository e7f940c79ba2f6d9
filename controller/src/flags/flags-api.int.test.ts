/** The main flows over HTTP, on both dialects. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

describe.each(DIALECTS)('flags API on %s', (dialect) => {
  let t: TestServer;
  const P = '/api/v1/projects/shop';
  beforeAll(async () => {
    t = await startTestServer(dialect);
    await seedProject(t, 'shop', [{ key: 'dev' }, { key: 'prod', requireApproval: true }]);
  });
  afterAll(async () => t?.close());

  it('creates a flag off in every environment, with a generated salt and an outbox row per environment', async () => {
    const r = await t.request('POST', `${P}/flags`, { body: booleanFlag('checkout', { tags: ['team-a'] }) });
    expect(r.status).toBe(201);
    expect(r.body.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(r.headers.get('etag')).toBe('"1"');
    const c = await t.request('GET', `${P}/environments/dev/flags/checkout`);
    expect(c.body).toEqual({
      enabled: false,
      offVariant: 'on',
      prerequisites: [],
      targets: [],
      rules: [],
      defaultRule: { variant: 'on' },
      version: 1,
    });
    const outbox = await t.plane.db.selectFrom('outbox').selectAll().where('entity_key', '=', 'checkout').execute();
    expect(outbox.map((o) => [o.environment_id, o.kind]).sort()).toEqual([
      ['shop.dev', 'flag'],
      ['shop.prod', 'flag'],
    ]);
    expect((await t.request('POST', `${P}/flags`, { body: booleanFlag('checkout') })).status).toBe(409);
  });

  it('updates a config with version or If-Match; stale is 409 with the current version; none is 428', async () => {
    const ok = await t.request('PUT', `${P}/environments/dev/flags/checkout`, { body: { ...onConfig(), version: 1 } });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
    expect(ok.headers.get('etag')).toBe('"2"');
    const stale = await t.request('PUT', `${P}/environments/dev/flags/checkout`, {
      body: onConfig(),
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'STALE_VERSION', currentVersion: 2 });
    expect(stale.headers.get('etag')).toBe('"2"');
    expect((await t.request('PUT', `${P}/environments/dev/flags/checkout`, { body: onConfig() })).status).toBe(428);
    const viaHeader = await t.request('PUT', `${P}/environments/dev/flags/checkout`, {
      body: onConfig({ enabled: false }),
      headers: { 'if-match': '"2"' },
    });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body.version).toBe(3);
  });

  it('400 for shape, 422 for the model, with paths; nothing written', async () => {
    const shape = await t.request('PUT', `${P}/environments/dev/flags/checkout`, {
      body: { ...onConfig(), enabled: 'yes', extra: 1, version: 3 },
    });
    expect(shape.status).toBe(400);
    expect(shape.body.error.problems).toEqual(
      expect.arrayContaining([
        { path: 'extra', message: 'unknown field' },
        { path: 'enabled', message: 'must be a boolean' },
      ]),
    );
    const model = await t.request('PUT', `${P}/environments/dev/flags/checkout`, {
      body: { ...onConfig({ offVariant: 'nope' }), version: 3 },
    });
    expect(model.status).toBe(422);
    expect(model.body.error.problems[0].path).toBe('offVariant');
    expect((await t.request('GET', `${P}/environments/dev/flags/checkout`)).body.version).toBe(3);
    const badJson = await t.request('PUT', `${P}/environments/dev/flags/checkout`, { raw: '{"enabled": tru' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('INVALID_JSON');
    expect(badJson.body.error.requestId).toBe(badJson.headers.get('x-request-id'));
    const deep = await t.request('PUT', `${P}/environments/dev/flags/checkout`, {
      raw: '['.repeat(65) + ']'.repeat(65),
    });
    expect(deep.body.error.code).toBe('TOO_DEEP');
    expect(
      (await t.request('PUT', `${P}/environments/dev/flags/checkout`, { raw: '{}', contentType: 'text/plain' })).status,
    ).toBe(415);
    expect(
      (
        await t.request('PUT', `${P}/environments/dev/flags/checkout`, {
          raw: JSON.stringify({ a: 'x'.repeat(1_100_000) }),
        })
      ).status,
    ).toBe(413);
  });

  it('refuses direct edits in an approval-required environment, and change requests need a different approver', async () => {
    const direct = await t.request('PUT', `${P}/environments/prod/flags/checkout`, {
      body: { ...onConfig(), version: 1 },
    });
    expect(direct.status).toBe(409);
    expect(direct.body.error.code).toBe('APPROVAL_REQUIRED');
    const author = await t.key('approver', null, 'author');
    const approver = await t.key('approver', null, 'approver');
    const cr = await t.request('POST', `${P}/environments/prod/change-requests`, {
      token: author.token,
      body: { flag: 'checkout', config: onConfig(), baseVersion: 1, comment: 'launch' },
    });
    expect(cr.status).toBe(201);
    const self = await t.request('POST', `${P}/environments/prod/change-requests/${cr.body.id}/approve`, {
      token: author.token,
    });
    expect(self.status).toBe(403);
    const ok = await t.request('POST', `${P}/environments/prod/change-requests/${cr.body.id}/approve`, {
      token: approver.token,
      body: { comment: 'lgtm' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'applied', appliedVersion: 2 });
    expect((await t.request('GET', `${P}/environments/prod/flags/checkout`)).body).toMatchObject({
      enabled: true,
      version: 2,
    });
    // A request whose base moved is refused and changes nothing.
    const cr2 = await t.request('POST', `${P}/environments/prod/change-requests`, {
      token: author.token,
      body: { flag: 'checkout', config: onConfig({ targets: [{ variant: 'on', values: ['u9'] }] }), baseVersion: 2 },
    });
    const cr3 = await t.request('POST', `${P}/environments/prod/change-requests`, {
      token: author.token,
      body: {
        flag: 'checkout',
        config: onConfig({ rules: [], targets: [{ variant: 'off', values: ['u1'] }] }),
        baseVersion: 2,
      },
    });
    expect(
      (
        await t.request('POST', `${P}/environments/prod/change-requests/${cr2.body.id}/approve`, {
          token: approver.token,
        })
      ).status,
    ).toBe(200);
    const moved = await t.request('POST', `${P}/environments/prod/change-requests/${cr3.body.id}/approve`, {
      token: approver.token,
    });
    expect(moved.status).toBe(409);
    expect(moved.body.error).toMatchObject({ code: 'BASE_MOVED', currentVersion: 3 });
    expect((await t.request('GET', `${P}/environments/prod/change-requests/${cr3.body.id}`)).body.status).toBe(
      'pending',
    );
  });

  it('kill switch disables everywhere in one call, audited with the reason', async () => {
    const r = await t.request('POST', `${P}/flags/checkout/kill`, { body: { reason: 'incident 42' } });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([
      { environment: 'shop.dev', killed: false, version: 3 },
      { environment: 'shop.prod', killed: true, version: 4 },
    ]);
    const audit = await t.request('GET', '/api/v1/audit?action=kill');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      reason: 'incident 42',
      environmentId: 'shop.prod',
      diff: [
        { path: '/enabled', old: true, new: false },
        { path: '/version', old: 3, new: 4 },
      ],
    });
  });

  it('archives (no hard delete): archived flags refuse edits and leave the snapshot', async () => {
    // shop.prod requires approval, and archiving affects it: a change request (issue 8 item 4).
    expect((await t.request('POST', `${P}/flags/checkout/archive`, { body: { reason: 'done' } })).body.error.code).toBe(
      'APPROVAL_REQUIRED',
    );
    const approver = await t.key('approver', null, 'archivist');
    const viaRequest = async (kind: string) => {
      const cr = await t.request('POST', `${P}/environments/prod/change-requests`, {
        body: { kind, flag: 'checkout', baseVersion: (await t.request('GET', `${P}/flags/checkout`)).body.version },
      });
      return (
        await t.request('POST', `${P}/environments/prod/change-requests/${cr.body.id}/approve`, {
          token: approver.token,
        })
      ).body.status;
    };
    expect(await viaRequest('archive')).toBe('applied');
    expect((await t.request('GET', `${P}/flags/checkout`)).body.archived).toBe(true);
    const edit = await t.request('PUT', `${P}/environments/dev/flags/checkout`, {
      body: { ...onConfig(), version: 3 },
    });
    expect(edit.body.error.code).toBe('FLAG_ARCHIVED');
    expect((await t.request('GET', `${P}/flags`)).body.items).toEqual([]);
    expect((await t.request('GET', `${P}/flags?archived=true`)).body.items.map((f: { key: string }) => f.key)).toEqual([
      'checkout',
    ]);
    expect(await viaRequest('unarchive')).toBe('applied');
    expect((await t.request('GET', `${P}/flags/checkout`)).body.archived).toBe(false);
    expect((await t.request('DELETE', `${P}/flags/checkout`)).status).toBe(404);
  });

  it('lists flags with filters and a cursor', async () => {
    for (const k of ['a1', 'a2', 'a3'])
      await t.request('POST', `${P}/flags`, { body: booleanFlag(k, { tags: ['x'] }) });
    const p1 = await t.request('GET', `${P}/flags?tag=x&limit=2`);
    expect(p1.body.items.map((f: { key: string }) => f.key)).toEqual(['a1', 'a2']);
    const p2 = await t.request('GET', `${P}/flags?tag=x&limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body).toMatchObject({ items: [{ key: 'a3' }], nextCursor: null });
    expect((await t.request('GET', `${P}/flags?limit=0`)).status).toBe(400);
    expect((await t.request('GET', `${P}/flags?bogus=1`)).status).toBe(400);
  });

  it('q matches key or description case-insensitively; include=environments adds each env config of the page', async () => {
    await t.request('POST', `${P}/flags`, { body: booleanFlag('s-one', { description: 'Pricing Banner for EU' }) });
    await t.request('POST', `${P}/flags`, { body: booleanFlag('s-two-banner') });
    const byText = await t.request('GET', `${P}/flags?q=BANNER`);
    expect(byText.body.items.map((f: { key: string }) => f.key)).toEqual(['s-one', 's-two-banner']);
    expect(byText.body.items[0].environments).toBeUndefined();
    expect((await t.request('GET', `${P}/flags?q=eu`)).body.items.map((f: { key: string }) => f.key)).toEqual([
      's-one',
    ]);
    await t.request('PUT', `${P}/environments/dev/flags/s-one`, { body: { ...onConfig(), version: 1 } });
    const page = await t.request('GET', `${P}/flags?q=s-&include=environments&limit=1`);
    expect(page.status).toBe(200);
    expect(page.body.nextCursor).toBe('s-one');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0].environments).toEqual({
      dev: { enabled: true, version: 2, config: { ...onConfig(), version: undefined } },
      prod: {
        enabled: false,
        version: 1,
        config: {
          enabled: false,
          offVariant: 'on',
          prerequisites: [],
          targets: [],
          rules: [],
          defaultRule: { variant: 'on' },
        },
      },
    });
    const next = await t.request('GET', `${P}/flags?q=s-&include=environments&cursor=s-one`);
    expect(next.body.items.map((f: { key: string }) => f.key)).toEqual(['s-two-banner']);
    expect(Object.keys(next.body.items[0].environments)).toEqual(['dev', 'prod']);
    // A key limited to an environment sees only that one.
    const limited = await t.key('viewer', ['shop.dev']);
    const mine = await t.request('GET', `${P}/flags?q=s-one&include=environments`, { token: limited.token });
    expect(mine.status).toBe(200);
    expect(Object.keys(mine.body.items[0].environments)).toEqual(['dev']);
    expect((await t.request('GET', `${P}/flags?include=rules`)).status).toBe(400);
  });

  it('segments: versioned CRUD, in-use segments cannot be deleted', async () => {
    const S = `${P}/environments/dev/segments`;
    expect((await t.request('POST', S, { body: { key: 'beta', included: ['u1'] } })).status).toBe(201);
    const put = await t.request('PUT', `${S}/beta`, { body: { included: ['u1', 'u2'], version: 1 } });
    expect(put.body).toMatchObject({ key: 'beta', version: 2, included: ['u1', 'u2'] });
    await t.request('PUT', `${P}/environments/dev/flags/a1`, {
      body: {
        ...onConfig({
          rules: [{ conditions: [{ attribute: 'x', op: 'inSegment', values: ['beta'] }], serve: { variant: 'on' } }],
        }),
        version: 1,
      },
    });
    expect((await t.request('DELETE', `${S}/beta`)).status).toBe(409);
    const state = await import('../snapshots/load-environment-state.ts').then((m) =>
      m.loadEnvironmentState(t.plane.db, 'shop.dev'),
    );
    expect(state?.snapshot.segments.beta?.version).toBe(2);
    expect(state?.snapshot.flags.a1).toMatchObject({ enabled: true, version: 2, type: 'boolean' });
  });

  it('audit: filter by flag, environment, actor, time, with cursor pagination', async () => {
    const all = await t.request('GET', '/api/v1/audit?flag=checkout&limit=3');
    expect(all.body.items).toHaveLength(3);
    const ids = all.body.items.map((e: { id: string }) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const next = await t.request('GET', `/api/v1/audit?flag=checkout&limit=3&cursor=${all.body.nextCursor}`);
    expect(Number(next.body.items[0].id)).toBeLessThan(ids[2]);
    expect((await t.request('GET', '/api/v1/audit?from=2999-01-01')).body.items).toEqual([]);
    expect((await t.request('GET', '/api/v1/audit?from=yesterday')).status).toBe(400);
  });
});
