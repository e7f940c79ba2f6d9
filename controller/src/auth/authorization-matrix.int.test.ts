/**
 * Every route x every role (viewer, editor, approver, admin, sdk, none) x environment scope
 * (a key for all environments, a key for the right one, a key for another one), each asserting
 * the status. Generated from the OpenAPI operations, which another test ties to express's routes.
 * Allowed requests are built to stop at validation or 404, so the matrix writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, type Operation } from '../openapi/openapi-document.ts';
import { DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

const LADDER = ['viewer', 'editor', 'approver', 'admin'] as const;
const RANK = { viewer: 0, editor: 1, approver: 2, admin: 3 };
type Reach = 'all' | 'right' | 'wrong';

/** What an allowed caller sends, and what it then gets. */
interface Fixture { params?: Record<string, string>; query?: string; body?: unknown; status: number }
const BAD = { bogus: 1 };
const FIXTURES: Record<string, Fixture> = {
  'get /api/v1/openapi.json': { status: 200 },
  'get /api/v1/projects': { status: 200 },
  'post /api/v1/projects': { body: {}, status: 400 },
  'get /api/v1/projects/:projectKey': { status: 200 },
  'put /api/v1/projects/:projectKey': { body: BAD, status: 400 },
  'delete /api/v1/projects/:projectKey': { params: { projectKey: 'zz' }, status: 404 },
  'get /api/v1/projects/:projectKey/environments': { status: 200 },
  'post /api/v1/projects/:projectKey/environments': { body: {}, status: 400 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey': { status: 200 },
  'put /api/v1/projects/:projectKey/environments/:environmentKey': { body: BAD, status: 400 },
  'delete /api/v1/projects/:projectKey/environments/:environmentKey': { params: { environmentKey: 'zz' }, status: 404 },
  'get /api/v1/projects/:projectKey/flags': { status: 200 },
  'post /api/v1/projects/:projectKey/flags': { body: {}, status: 400 },
  'get /api/v1/projects/:projectKey/flags/:flagKey': { status: 200, params: { flagKey: 'f' } },
  'put /api/v1/projects/:projectKey/flags/:flagKey': { body: BAD, status: 400 },
  'post /api/v1/projects/:projectKey/flags/:flagKey/archive': { body: BAD, status: 400 },
  'post /api/v1/projects/:projectKey/flags/:flagKey/unarchive': { body: BAD, status: 400 },
  'post /api/v1/projects/:projectKey/flags/:flagKey/kill': { body: { environments: ['a'], reason: 'matrix' }, status: 404 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey': { params: { flagKey: 'f' }, status: 200 },
  'put /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey': { body: BAD, status: 400 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey/preview': { body: BAD, status: 400 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/segments': { status: 200 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/segments': { body: {}, status: 400 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/segments/:segmentKey': { status: 404 },
  'put /api/v1/projects/:projectKey/environments/:environmentKey/segments/:segmentKey': { body: BAD, status: 400 },
  'delete /api/v1/projects/:projectKey/environments/:environmentKey/segments/:segmentKey': { status: 404 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/export': { status: 200 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/import': { query: 'dryRun=true', body: BAD, status: 422 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/change-requests': { status: 200 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests': { body: {}, status: 400 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId': { status: 404 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/approve': { status: 404 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/reject': { status: 404 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/cancel': { status: 404 },
  'get /api/v1/audit': { query: 'environment=p.a', status: 200 },
  'get /api/v1/api-keys': { status: 200 },
  'post /api/v1/api-keys': { body: {}, status: 400 },
  'get /api/v1/api-keys/:keyId': { status: 404 },
  'post /api/v1/api-keys/:keyId/revoke': { status: 404 },
  'get /api/v1/policies': { status: 200 },
  'get /api/v1/policies/:policyName': { params: { policyName: 'nope' }, status: 404 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey/rollouts': { body: {}, status: 400 },
  'get /api/v1/rollouts': { status: 200 },
  'get /api/v1/rollouts/:rolloutId': { status: 404 },
  'post /api/v1/rollouts/:rolloutId/pause': { status: 404 },
  'post /api/v1/rollouts/:rolloutId/resume': { status: 404 },
  'post /api/v1/rollouts/:rolloutId/approve': { status: 404 },
  'post /api/v1/rollouts/:rolloutId/abort': { status: 404 },
  'post /api/v1/rollouts/:rolloutId/retry': { status: 404 },
  'get /api/v1/webhooks': { status: 200 },
  'post /api/v1/webhooks': { body: {}, status: 400 },
  'delete /api/v1/webhooks/:webhookId': { status: 404 },
};
const DEFAULT_PARAMS: Record<string, string> = { projectKey: 'p', environmentKey: 'a', flagKey: 'nope', segmentKey: 'nope', changeRequestId: '999999', keyId: '999999', rolloutId: '999999', webhookId: '999999' };

function expected(op: Operation, role: string, reach: Reach): number {
  if (role === 'none') return 401;
  if (role === 'sdk') return 403;
  if (RANK[role as keyof typeof RANK] < RANK[op.role]) return 403;
  const inScope = {
    any: true, project: true, environment: reach !== 'wrong', audit: reach !== 'wrong',
    'body-environments': reach !== 'wrong', unrestricted: reach === 'all',
  }[op.scope];
  return inScope ? FIXTURES[`${op.method} ${op.path}`]!.status : 403;
}

describe.each(DIALECTS)('authorization matrix on %s', (dialect) => {
  let t: TestServer;
  const tokens = new Map<string, string | null>();
  beforeAll(async () => {
    t = await startTestServer(dialect);
    await seedProject(t, 'p', [{ key: 'a' }, { key: 'b' }]);
    await t.request('POST', '/api/v1/projects/p/flags', { body: booleanFlag('f') });
    for (const role of LADDER) {
      tokens.set(`${role}/all`, (await t.key(role, null)).token);
      tokens.set(`${role}/right`, (await t.key(role, ['p.a'])).token);
      tokens.set(`${role}/wrong`, (await t.key(role, ['p.b'])).token);
    }
    tokens.set('sdk/right', (await t.key('sdk', ['p.a'])).token);
    tokens.set('sdk/wrong', (await t.key('sdk', ['p.b'])).token);
    tokens.set('none/all', null);
  });
  afterAll(async () => t?.close());

  it('has a fixture for every documented route', () => {
    expect(OPERATIONS.filter((op) => !FIXTURES[`${op.method} ${op.path}`]).map((op) => `${op.method} ${op.path}`)).toEqual([]);
  });

  it('gives every route, role and environment scope its status, and writes nothing', async () => {
    const auditBefore = await t.plane.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    const failures: string[] = [];
    let checked = 0;
    for (const op of OPERATIONS) {
      const fx = FIXTURES[`${op.method} ${op.path}`]!;
      const params = { ...DEFAULT_PARAMS, ...(fx.params ?? {}) };
      const path = op.path.replace(/:([A-Za-z]+)/g, (_, name: string) => params[name]!) + (fx.query ? `?${fx.query}` : '');
      for (const [name, token] of tokens) {
        const [role, reach] = name.split('/') as [string, Reach];
        const want = expected(op, role, reach);
        const r = await t.request(op.method.toUpperCase(), path, { token, ...(fx.body !== undefined ? { body: fx.body } : {}) });
        checked++;
        if (r.status !== want) failures.push(`${op.method.toUpperCase()} ${path} as ${name}: want ${want}, got ${r.status} ${r.text.slice(0, 160)}`);
      }
      const unknown = await t.request(op.method.toUpperCase(), path, { token: 'fsk_not-a-real-key' });
      if (unknown.status !== 401) failures.push(`${op.method.toUpperCase()} ${path} with an unknown key: got ${unknown.status}`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(OPERATIONS.length * tokens.size);
    expect(await t.plane.db.selectFrom('audit_log').selectAll().orderBy('id').execute()).toEqual(auditBefore);
  });

  it('X-API-Key works like Bearer, and a revoked key stops working at once', async () => {
    const k = await t.key('viewer', null, 'short-lived');
    expect((await t.request('GET', '/api/v1/projects', { token: null, headers: { 'x-api-key': k.token } })).status).toBe(200);
    expect((await t.request('POST', `/api/v1/api-keys/${k.id}/revoke`)).status).toBe(200);
    expect((await t.request('GET', '/api/v1/projects', { token: k.token })).status).toBe(401);
    const listed = await t.request('GET', '/api/v1/api-keys');
    expect(listed.text).not.toContain(k.token);
    const row = await t.plane.db.selectFrom('api_keys').selectAll().where('id', '=', Number(k.id)).executeTakeFirstOrThrow();
    expect(row.token_hash).not.toBe(k.token);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
