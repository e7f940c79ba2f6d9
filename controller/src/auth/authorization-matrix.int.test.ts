/**
 * Every route x every role (viewer, editor, approver, admin, sdk, none) x environment scope
 * (a key for all environments, a key for the right one, a key for another one), each asserting
 * the status. Generated from the routes' own access declarations (http/route.ts: the list the
 * router serves and the OpenAPI document describes), so a route needs a fixture here to exist.
 * Allowed requests are built to stop at validation or 404, so the matrix writes nothing.
 * A second matrix sends real writes and checks their effects in the store: what changed when a
 * key was allowed, and that nothing changed when it was refused (issue 8 items 1 and 4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../http/route.ts';
import { DIALECTS } from '../test-support/test-database.ts';
import { MapPolicyCatalog } from '../rollouts/policy-catalog.ts';
import { validatePolicy } from '../rollouts/policy/policy-schema.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

const LADDER = ['viewer', 'editor', 'approver', 'admin'] as const;
const RANK = { viewer: 0, editor: 1, approver: 2, admin: 3 };
type Reach = 'all' | 'right' | 'wrong';

/** What an allowed caller sends, and what it then gets. */
interface Fixture {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  status: number;
}
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
  'post /api/v1/projects/:projectKey/flags/:flagKey/kill': {
    body: { environments: ['a'], reason: 'matrix' },
    status: 404,
  },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey': {
    params: { flagKey: 'f' },
    status: 200,
  },
  'put /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey': { body: BAD, status: 400 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey/preview': { body: BAD, status: 400 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/segments': { status: 200 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/segments': { body: {}, status: 400 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/segments/:segmentKey': { status: 404 },
  'put /api/v1/projects/:projectKey/environments/:environmentKey/segments/:segmentKey': { body: BAD, status: 400 },
  'delete /api/v1/projects/:projectKey/environments/:environmentKey/segments/:segmentKey': { status: 404 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/export': { status: 200 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/import': {
    query: 'dryRun=true',
    body: BAD,
    status: 422,
  },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/change-requests': { status: 200 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests': { body: {}, status: 400 },
  'get /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId': { status: 404 },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/approve': {
    status: 404,
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/reject': {
    status: 404,
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/cancel': {
    status: 404,
  },
  'get /api/v1/audit': { query: 'environment=p.a', status: 200 },
  'get /api/v1/me': { status: 200 },
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
  'post /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey/schedules': { body: BAD, status: 400 },
  'get /api/v1/schedules': { status: 200 },
  'get /api/v1/schedules/:scheduleId': { status: 404 },
  'post /api/v1/schedules/:scheduleId/cancel': { body: BAD, status: 400 },
  'get /api/v1/webhooks': { status: 200 },
  'post /api/v1/webhooks': { body: {}, status: 400 },
  'delete /api/v1/webhooks/:webhookId': { status: 404 },
  'get /api/v1/projects/:projectKey/metrics': { status: 200 },
  'post /api/v1/projects/:projectKey/metrics': { body: {}, status: 400 },
  'get /api/v1/projects/:projectKey/metrics/:metricKey': { status: 404 },
  'put /api/v1/projects/:projectKey/metrics/:metricKey': { body: BAD, status: 400 },
  'delete /api/v1/projects/:projectKey/metrics/:metricKey': { status: 404 },
  // Stops at the parameter check: no Prometheus is asked (none is configured here).
  'get /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey/impact': {
    query: 'step=0',
    status: 400,
  },
};
const DEFAULT_PARAMS: Record<string, string> = {
  projectKey: 'p',
  environmentKey: 'a',
  flagKey: 'nope',
  segmentKey: 'nope',
  changeRequestId: '999999',
  keyId: '999999',
  rolloutId: '999999',
  scheduleId: '999999',
  webhookId: '999999',
  metricKey: 'nope',
};

function expected(op: Route, role: string, reach: Reach): number {
  if (role === 'none') return 401;
  if (role === 'sdk') return 403;
  if (RANK[role as keyof typeof RANK] < RANK[op.access.role]) return 403;
  const inScope = {
    any: true,
    project: true,
    environment: reach !== 'wrong',
    audit: reach !== 'wrong',
    'body-environments': reach !== 'wrong',
    unrestricted: reach === 'all',
  }[op.access.scope];
  return inScope ? FIXTURES[`${op.method} ${op.path}`]!.status : 403;
}

describe.each(DIALECTS)('authorization matrix on %s', (dialect) => {
  let t: TestServer;
  const tokens = new Map<string, string | null>();
  beforeAll(async () => {
    const policy = validatePolicy({
      name: 'matrix',
      steps: [
        { weight: 10, minDuration: '1m' },
        { weight: 100, minDuration: '1m' },
      ],
      analysis: { interval: '10s' },
      traffic: { query: 'req{v="{{variant}}"}' },
      metrics: [{ name: 'err', kind: 'threshold', query: 'err{v="{{variant}}"}', max: 0.02 }],
    });
    if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
    t = await startTestServer(dialect, {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['matrix', policy.value]])),
        scheduler: { schedule: async () => {} },
        deliveries: { enqueue: async () => {} },
      },
    });
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
    expect(
      t.plane.routes.filter((op) => !FIXTURES[`${op.method} ${op.path}`]).map((op) => `${op.method} ${op.path}`),
    ).toEqual([]);
  });

  it('gives every route, role and environment scope its status, and writes nothing', async () => {
    const auditBefore = await t.plane.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    const failures: string[] = [];
    let checked = 0;
    for (const op of t.plane.routes) {
      const fx = FIXTURES[`${op.method} ${op.path}`]!;
      const params = { ...DEFAULT_PARAMS, ...(fx.params ?? {}) };
      const path =
        op.path.replace(/:([A-Za-z]+)/g, (_, name: string) => params[name]!) + (fx.query ? `?${fx.query}` : '');
      for (const [name, token] of tokens) {
        const [role, reach] = name.split('/') as [string, Reach];
        const want = expected(op, role, reach);
        const r = await t.request(op.method.toUpperCase(), path, {
          token,
          ...(fx.body !== undefined ? { body: fx.body } : {}),
        });
        checked++;
        if (r.status !== want)
          failures.push(
            `${op.method.toUpperCase()} ${path} as ${name}: want ${want}, got ${r.status} ${r.text.slice(0, 160)}`,
          );
      }
      const unknown = await t.request(op.method.toUpperCase(), path, { token: 'fsk_not-a-real-key' });
      if (unknown.status !== 401)
        failures.push(`${op.method.toUpperCase()} ${path} with an unknown key: got ${unknown.status}`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(t.plane.routes.length * tokens.size);
    expect(await t.plane.db.selectFrom('audit_log').selectAll().orderBy('id').execute()).toEqual(auditBefore);
  });

  it('checks effects: every key and write leaves exactly the change it was allowed, and nothing when refused', async () => {
    // Project e: a is a plain environment, b requires approval. Keys: all environments, e.a only, e.b only.
    await seedProject(t, 'e', [{ key: 'a' }, { key: 'b', requireApproval: true }]);
    expect((await t.request('POST', '/api/v1/projects/e/flags', { body: booleanFlag('f1') })).status).toBe(201);
    expect(
      (await t.request('PUT', '/api/v1/projects/e/environments/a/flags/f1', { body: { ...onConfig(), version: 1 } }))
        .status,
    ).toBe(200);
    const keys = new Map<string, string | null>();
    for (const role of LADDER) {
      keys.set(`${role}/all`, (await t.key(role, null, `e ${role} all`)).token);
      keys.set(`${role}/right`, (await t.key(role, ['e.a'], `e ${role} a`)).token);
      keys.set(`${role}/wrong`, (await t.key(role, ['e.b'], `e ${role} b`)).token);
    }
    keys.set('sdk/right', (await t.key('sdk', ['e.a'], 'e sdk')).token);
    keys.set('none/all', null);

    const db = t.plane.db;
    const state = async () => ({
      flags: (
        await db
          .selectFrom('flags')
          .select(['key', 'archived', 'definition', 'version'])
          .where('project_key', '=', 'e')
          .orderBy('key')
          .execute()
      ).map((f) => ({ ...f, archived: Number(f.archived), version: Number(f.version) })),
      configs: (
        await db
          .selectFrom('flag_configs')
          .select(['environment_id', 'flag_key', 'config', 'version'])
          .where('project_key', '=', 'e')
          .orderBy('environment_id')
          .orderBy('flag_key')
          .execute()
      ).map((c) => ({ ...c, version: Number(c.version) })),
      rollouts: await db
        .selectFrom('rollouts')
        .select(['environment_id', 'flag_key', 'status'])
        .where('project_key', '=', 'e')
        .execute(),
      segments: (
        await db
          .selectFrom('segments')
          .select(['environment_id', 'key', 'document', 'version'])
          .where('environment_id', 'in', ['e.a', 'e.b'])
          .orderBy('environment_id')
          .orderBy('key')
          .execute()
      ).map((x) => ({ ...x, version: Number(x.version) })),
    });
    type State = Awaited<ReturnType<typeof state>>;
    const config = (s: State, env: string) =>
      JSON.parse(s.configs.find((c) => c.environment_id === env && c.flag_key === 'f1')!.config);
    const version = async (env: string) =>
      (await t.request('GET', `/api/v1/projects/e/environments/${env}/flags/f1`)).body.version as number;
    const E = '/api/v1/projects/e/environments';
    let n = 0;
    // A segment in each environment; the one in e.b (approval) arrives through a change request.
    const seg = (key: string, included: string[] = []) => ({ key, included, excluded: [], rules: [] });
    expect((await t.request('POST', `${E}/a/segments`, { body: seg('sa') })).status).toBe(201);
    const scr = await t.request('POST', `${E}/b/change-requests`, {
      body: { kind: 'segment', action: 'create', segmentKey: 'sb', segment: seg('sb'), baseVersion: 0 },
    });
    expect(scr.status).toBe(201);
    expect(
      (await t.request('POST', `${E}/b/change-requests/${scr.body.id}/approve`, { token: keys.get('approver/all')! }))
        .status,
    ).toBe(200);
    const segment = (st: State, env: string, key: string) =>
      st.segments.find((x) => x.environment_id === env && x.key === key);
    /** want(reach) for an editor or above; lower roles are 403, sdk 403, no key 401. */
    interface Write {
      name: string;
      send(token: string | null): Promise<number>;
      want: Record<Reach, number>;
      effect(before: State, after: State): boolean;
      reset?: () => Promise<void>;
    }
    const writes: Write[] = [
      {
        name: 'start a rollout in e.a',
        want: { all: 201, right: 201, wrong: 403 },
        send: async (token) =>
          (
            await t.request('POST', `${E}/a/flags/f1/rollouts`, {
              token,
              body: { policy: 'matrix', treatment: 'on', control: 'off' },
            })
          ).status,
        effect: (b, a) =>
          a.rollouts.length === b.rollouts.length + 1 && config(a, 'e.a').defaultRule.split !== undefined,
        reset: async () => {
          await db.deleteFrom('rollouts').where('project_key', '=', 'e').execute();
          expect(
            (await t.request('PUT', `${E}/a/flags/f1`, { body: { ...onConfig(), version: await version('a') } }))
              .status,
          ).toBe(200);
        },
      },
      {
        name: 'start a rollout in e.b (approval)',
        want: { all: 409, right: 403, wrong: 409 },
        send: async (token) =>
          (
            await t.request('POST', `${E}/b/flags/f1/rollouts`, {
              token,
              body: { policy: 'matrix', treatment: 'on', control: 'off' },
            })
          ).status,
        effect: () => false,
      },
      {
        name: 'put a config in e.a',
        want: { all: 200, right: 200, wrong: 403 },
        send: async (token) =>
          (
            await t.request('PUT', `${E}/a/flags/f1`, {
              token,
              body: { ...onConfig({ targets: [{ variant: 'on', values: [`u${++n}`] }] }), version: await version('a') },
            })
          ).status,
        effect: (b, a) =>
          config(a, 'e.a').targets[0].values[0] === `u${n}` &&
          JSON.stringify(a.flags) === JSON.stringify(b.flags) &&
          config(a, 'e.b').enabled === config(b, 'e.b').enabled,
      },
      {
        name: 'put a config in e.b (approval)',
        want: { all: 409, right: 403, wrong: 409 },
        send: async (token) =>
          (await t.request('PUT', `${E}/b/flags/f1`, { token, body: { ...onConfig(), version: await version('b') } }))
            .status,
        effect: () => false,
      },
      {
        name: 'change the definition (affects e.b)',
        want: { all: 409, right: 403, wrong: 403 },
        send: async (token) =>
          (
            await t.request('PUT', '/api/v1/projects/e/flags/f1', {
              token,
              body: {
                ...booleanFlag('f1', { tags: ['t'] }),
                version: Number((await state()).flags.find((f) => f.key === 'f1')!.version),
              },
            })
          ).status,
        effect: () => false,
      },
      {
        name: 'archive (affects e.b)',
        want: { all: 409, right: 403, wrong: 403 },
        send: async (token) => (await t.request('POST', '/api/v1/projects/e/flags/f1/archive', { token })).status,
        effect: () => false,
      },
      {
        name: 'import {flags: {}} into e.a',
        want: { all: 409, right: 403, wrong: 403 },
        send: async (token) =>
          (await t.request('POST', `${E}/a/import`, { token, body: { format: 'flagship/v1', flags: {} } })).status,
        effect: () => false,
      },
      {
        name: 'import a config change into e.a',
        want: { all: 200, right: 200, wrong: 403 },
        send: async (token) => {
          const doc = (await t.request('GET', `${E}/a/export`)).body;
          for (const f of Object.values<{ config: { targets: unknown[] } }>(doc.flags))
            f.config.targets = [{ variant: 'on', values: [`i${++n}`] }];
          return (await t.request('POST', `${E}/a/import`, { token, body: doc })).status;
        },
        effect: (b, a) =>
          config(a, 'e.a').targets[0].values[0] === `i${n}` &&
          a.flags.every((f) => f.archived === 0) &&
          JSON.stringify(a.flags) === JSON.stringify(b.flags),
      },
      {
        name: 'create a flag',
        want: { all: 201, right: 403, wrong: 403 },
        send: async (token) =>
          (await t.request('POST', '/api/v1/projects/e/flags', { token, body: booleanFlag(`new-${++n}`) })).status,
        effect: (b, a) =>
          a.flags.length === b.flags.length + 1 &&
          a.configs.filter((c) => c.flag_key === `new-${n}`).every((c) => !JSON.parse(c.config).enabled),
      },
      {
        name: 'create a segment in e.a',
        want: { all: 201, right: 201, wrong: 403 },
        send: async (token) => (await t.request('POST', `${E}/a/segments`, { token, body: seg(`s${++n}`) })).status,
        effect: (b, a) => a.segments.length === b.segments.length + 1 && segment(a, 'e.a', `s${n}`) !== undefined,
      },
      {
        name: 'update a segment in e.a',
        want: { all: 200, right: 200, wrong: 403 },
        send: async (token) =>
          (
            await t.request('PUT', `${E}/a/segments/sa`, {
              token,
              body: { ...seg('sa', [`u${++n}`]), version: segment(await state(), 'e.a', 'sa')!.version },
            })
          ).status,
        effect: (b, a) =>
          segment(a, 'e.a', 'sa')!.version === segment(b, 'e.a', 'sa')!.version + 1 &&
          JSON.parse(segment(a, 'e.a', 'sa')!.document).included[0] === `u${n}`,
      },
      {
        name: 'create a segment in e.b (approval)',
        want: { all: 409, right: 403, wrong: 409 },
        send: async (token) => (await t.request('POST', `${E}/b/segments`, { token, body: seg(`s${++n}`) })).status,
        effect: () => false,
      },
      {
        name: 'update a segment in e.b (approval)',
        want: { all: 409, right: 403, wrong: 409 },
        send: async (token) =>
          (await t.request('PUT', `${E}/b/segments/sb`, { token, body: { ...seg('sb', ['x']), version: 1 } })).status,
        effect: () => false,
      },
      {
        name: 'delete a segment in e.b (approval)',
        want: { all: 409, right: 403, wrong: 409 },
        send: async (token) => (await t.request('DELETE', `${E}/b/segments/sb`, { token })).status,
        effect: () => false,
      },
      {
        name: 'kill in e.a',
        want: { all: 200, right: 200, wrong: 403 },
        send: async (token) =>
          (
            await t.request('POST', '/api/v1/projects/e/flags/f1/kill', {
              token,
              body: { environments: ['a'], reason: 'matrix' },
            })
          ).status,
        effect: (_b, a) => config(a, 'e.a').enabled === false && config(a, 'e.b').enabled === false,
        reset: async () =>
          void expect(
            (await t.request('PUT', `${E}/a/flags/f1`, { body: { ...onConfig(), version: await version('a') } }))
              .status,
          ).toBe(200),
      },
    ];
    const failures: string[] = [];
    for (const w of writes) {
      for (const [name, token] of keys) {
        const [role, reach] = name.split('/') as [string, Reach];
        const want = role === 'none' ? 401 : role === 'sdk' || role === 'viewer' ? 403 : w.want[reach];
        const before = await state();
        const got = await w.send(token);
        const after = await state();
        const changed = JSON.stringify(after) !== JSON.stringify(before);
        if (got !== want) failures.push(`${w.name} as ${name}: want ${want}, got ${got}`);
        if (got < 300 && !w.effect(before, after))
          failures.push(`${w.name} as ${name}: ${got} without the expected effect`);
        if (got >= 300 && changed) failures.push(`${w.name} as ${name}: refused with ${got}, yet the store changed`);
        if (got < 300) await w.reset?.();
      }
    }
    expect(failures).toEqual([]);
    // And the refused project-wide changes left every flag live, with prod (e.b) still serving f1.
    const { loadEnvironmentState } = await import('../snapshots/load-environment-state.ts');
    expect(Object.keys((await loadEnvironmentState(db, 'e.b'))!.snapshot.flags)).toContain('f1');
  });

  it('X-API-Key works like Bearer, and a revoked key stops working at once', async () => {
    const k = await t.key('viewer', null, 'short-lived');
    expect(
      (await t.request('GET', '/api/v1/projects', { token: null, headers: { 'x-api-key': k.token } })).status,
    ).toBe(200);
    expect((await t.request('POST', `/api/v1/api-keys/${k.id}/revoke`)).status).toBe(200);
    expect((await t.request('GET', '/api/v1/projects', { token: k.token })).status).toBe(401);
    const listed = await t.request('GET', '/api/v1/api-keys');
    expect(listed.text).not.toContain(k.token);
    const row = await t.plane.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', Number(k.id))
      .executeTakeFirstOrThrow();
    expect(row.token_hash).not.toBe(k.token);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
