/**
 * Issue 8 items 1 and 4 through the API, on both dialects: imports are scoped like the flag
 * routes, and every change that affects an approval-required environment (config, definition,
 * archive, rollout start and retry) needs a change request approved by another person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MapPolicyCatalog } from '../rollouts/policy-catalog.ts';
import { validatePolicy } from '../rollouts/policy/policy-schema.ts';
import { EMPTY_COUNTERS } from '../rollouts/analysis/decide.ts';
import { loadEnvironmentState } from '../snapshots/load-environment-state.ts';
import { DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

const checked = validatePolicy({
  name: 'gated',
  steps: [
    { weight: 10, minDuration: '1m', approval: true },
    { weight: 100, minDuration: '1m' },
  ],
  analysis: { interval: '10s' },
  traffic: { query: 'req{v="{{variant}}"}' },
  metrics: [{ name: 'err', kind: 'threshold', query: 'err{v="{{variant}}"}', max: 0.02 }],
});
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));

describe.each(DIALECTS)('four eyes on %s', (dialect) => {
  let t: TestServer;
  const armed: Array<[number, number]> = [];
  const P = '/api/v1/projects/shop';
  const CR = `${P}/environments/prod/change-requests`;
  let alice: { token: string },
    alice2: { token: string },
    bob: { token: string },
    prodApprover: { token: string },
    devEditor: { token: string };
  const flagRow = async (key: string) =>
    t.plane.db
      .selectFrom('flags')
      .selectAll()
      .where('project_key', '=', 'shop')
      .where('key', '=', key)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    t = await startTestServer(dialect, {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['gated', checked.value]])),
        scheduler: { schedule: async (id, seq) => void armed.push([id, seq]) },
        deliveries: { enqueue: async () => {} },
      },
    });
    await seedProject(t, 'shop', [{ key: 'dev' }, { key: 'prod', requireApproval: true }]);
    alice = await t.key('admin', null, 'alice laptop', 'alice@example.com');
    alice2 = await t.key('admin', null, 'alice ci', 'alice@example.com');
    bob = await t.key('approver', null, 'bob', 'bob@example.com');
    prodApprover = await t.key('approver', ['shop.prod'], 'pat', 'pat@example.com');
    devEditor = await t.key('editor', ['shop.dev'], 'dev editor', 'dee@example.com');
    for (const key of ['checkout', 'search']) {
      // Creating a flag is allowed in a project with an approval environment: it is off there.
      const created = await t.request('POST', `${P}/flags`, { token: alice.token, body: booleanFlag(key) });
      expect(created.status).toBe(201);
    }
    // Turn checkout on in prod through a change request, so prod serves it.
    const cr = await t.request('POST', CR, {
      token: alice.token,
      body: { flag: 'checkout', config: onConfig(), baseVersion: 1 },
    });
    expect((await t.request('POST', `${CR}/${cr.body.id}/approve`, { token: bob.token })).status).toBe(200);
  }, 60_000);
  afterAll(async () => t?.close());

  it('a new flag in a project with an approval environment is created off there, without approval', async () => {
    expect((await t.request('GET', `${P}/environments/prod/flags/search`)).body).toMatchObject({
      enabled: false,
      version: 1,
    });
  });

  it("a dev-scoped editor's import of {flags: {}} is refused (403) and archives nothing; prod still serves", async () => {
    const body = { format: 'flagship/v1', flags: {} };
    const dry = await t.request('POST', `${P}/environments/dev/import?dryRun=true`, { token: devEditor.token, body });
    expect(dry.status).toBe(200);
    expect(dry.body.needs.projectWide).toEqual(
      expect.arrayContaining(['archives flag checkout', 'archives flag search']),
    );
    expect(dry.body.needs.approval).toEqual(['shop.prod']);
    const r = await t.request('POST', `${P}/environments/dev/import`, { token: devEditor.token, body });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('ENVIRONMENT_FORBIDDEN');
    expect(r.body.error.message).toContain('archives flag checkout');
    expect((await flagRow('checkout')).archived).toBe(0);
    expect((await flagRow('search')).archived).toBe(0);
    const prod = await loadEnvironmentState(t.plane.db, 'shop.prod');
    expect(prod?.snapshot.flags.checkout).toMatchObject({ enabled: true });
  });

  it('an unrestricted import that archives flags also in prod needs approval (409 naming shop.prod); a config-only dev import works', async () => {
    const r = await t.request('POST', `${P}/environments/dev/import`, {
      token: alice.token,
      body: { format: 'flagship/v1', flags: {} },
    });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({
      code: 'APPROVAL_REQUIRED',
      environments: ['shop.prod'],
      changeRequest: { method: 'POST', path: CR },
    });
    expect((await flagRow('checkout')).archived).toBe(0);
    const doc = (await t.request('GET', `${P}/environments/dev/export`, { token: devEditor.token })).body;
    doc.flags.search.config.enabled = true;
    const ok = await t.request('POST', `${P}/environments/dev/import`, { token: devEditor.token, body: doc });
    expect(ok.status).toBe(200);
    expect(ok.body.summary.flags).toMatchObject({ updated: 1, archived: 0 });
    // A scoped editor's import that changes a definition is project-wide: refused.
    doc.flags.search.tags = ['x'];
    const def = await t.request('POST', `${P}/environments/dev/import`, { token: devEditor.token, body: doc });
    expect(def.status).toBe(403);
    expect((await flagRow('search')).definition).not.toContain('"x"');
  });

  it('definition edits and archiving that affect prod need a change request; the approver is someone else with an unrestricted key', async () => {
    const v = Number((await flagRow('checkout')).version);
    const put = await t.request('PUT', `${P}/flags/checkout`, {
      token: alice.token,
      body: { ...booleanFlag('checkout', { tags: ['launch'] }), version: v },
    });
    expect(put.status).toBe(409);
    expect(put.body.error).toMatchObject({
      code: 'APPROVAL_REQUIRED',
      environments: ['shop.prod'],
      changeRequest: { kind: 'definition' },
    });
    const arch = await t.request('POST', `${P}/flags/checkout/archive`, { token: alice.token });
    expect(arch.body.error).toMatchObject({ code: 'APPROVAL_REQUIRED', changeRequest: { kind: 'archive' } });
    expect((await flagRow('checkout')).archived).toBe(0);
    // A scoped editor cannot even ask for a project-wide change.
    const scoped = await t.key('editor', ['shop.prod'], 'prod editor', 'pe@example.com');
    expect(
      (
        await t.request('POST', CR, {
          token: scoped.token,
          body: { kind: 'archive', flag: 'checkout', baseVersion: v },
        })
      ).status,
    ).toBe(403);

    const def = await t.request('POST', CR, {
      token: alice.token,
      body: {
        kind: 'definition',
        flag: 'checkout',
        definition: booleanFlag('checkout', { tags: ['launch'] }),
        baseVersion: v,
        comment: 'tag it',
      },
    });
    expect(def.status).toBe(201);
    expect(def.body).toMatchObject({
      kind: 'definition',
      definition: { tags: ['launch'] },
      author: { owner: 'alice@example.com' },
    });
    expect((await t.request('POST', `${CR}/${def.body.id}/approve`, { token: alice2.token })).body.error.code).toBe(
      'SELF_APPROVAL',
    );
    expect(
      (await t.request('POST', `${CR}/${def.body.id}/approve`, { token: prodApprover.token })).body.error.code,
    ).toBe('ENVIRONMENT_FORBIDDEN');
    expect(JSON.parse((await flagRow('checkout')).definition).tags).toBeUndefined();
    const ok = await t.request('POST', `${CR}/${def.body.id}/approve`, { token: bob.token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'applied', appliedVersion: v + 1 });
    expect(JSON.parse((await flagRow('checkout')).definition).tags).toEqual(['launch']);

    const stale = await t.request('POST', CR, {
      token: alice.token,
      body: { kind: 'archive', flag: 'search', baseVersion: 1 },
    });
    expect(stale.status).toBe(201);
    const a = await t.request('POST', `${CR}/${stale.body.id}/approve`, { token: bob.token });
    expect(a.status).toBe(200);
    expect((await flagRow('search')).archived).toBe(1);
    expect((await loadEnvironmentState(t.plane.db, 'shop.prod'))?.snapshot.flags.search).toBeUndefined();
    const un = await t.request('POST', CR, {
      token: alice.token,
      body: { kind: 'unarchive', flag: 'search', baseVersion: 2 },
    });
    expect((await t.request('POST', `${CR}/${un.body.id}/approve`, { token: bob.token })).status).toBe(200);
    expect((await flagRow('search')).archived).toBe(0);
  });

  it('starting or retrying a rollout in prod needs an approved change request; its gates are not approved by the asker', async () => {
    const start = await t.request('POST', `${P}/environments/prod/flags/checkout/rollouts`, {
      token: alice.token,
      body: { policy: 'gated', treatment: 'on', control: 'off' },
    });
    expect(start.status).toBe(409);
    expect(start.body.error).toMatchObject({ code: 'APPROVAL_REQUIRED', changeRequest: { kind: 'rollout-start' } });
    expect((await t.request('GET', '/api/v1/rollouts?flag=checkout')).body.items).toEqual([]);
    const version = (await t.request('GET', `${P}/environments/prod/flags/checkout`)).body.version;
    const cr = await t.request('POST', CR, {
      token: alice.token,
      body: {
        kind: 'rollout-start',
        flag: 'checkout',
        policy: 'gated',
        treatment: 'on',
        control: 'off',
        baseVersion: version,
      },
    });
    expect(cr.status).toBe(201);
    expect(cr.body.rollout).toEqual({ policy: 'gated', treatment: 'on', control: 'off', reason: null });
    expect((await t.request('POST', `${CR}/${cr.body.id}/approve`, { token: alice2.token })).body.error.code).toBe(
      'SELF_APPROVAL',
    );
    const ok = await t.request('POST', `${CR}/${cr.body.id}/approve`, { token: bob.token });
    expect(ok.status).toBe(200);
    const id = ok.body.rolloutId;
    expect(armed).toContainEqual([id, 1]);
    const rollout = (await t.request('GET', `/api/v1/rollouts/${id}`)).body;
    expect(rollout).toMatchObject({ status: 'running', weightPercent: 10, createdBy: 'alice laptop' });
    // The automated steps need no approval: a tick moves it to the gate.
    const read = (await t.plane.services.rollouts.peek(id))!;
    await t.plane.db.deleteFrom('outbox').execute();
    const tick = {
      decision: 'await-approval' as const,
      reason: 'healthy',
      metrics: [],
      srm: undefined,
      counters: EMPTY_COUNTERS,
      traffic: { treatment: { kind: 'nodata' as const }, control: { kind: 'nodata' as const } },
    };
    expect(await t.plane.services.rollouts.applyTick(read, tick, {}, 0)).toBe('applied');
    const self = await t.request('POST', `/api/v1/rollouts/${id}/approve`, { token: alice2.token });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('SELF_APPROVAL');
    expect((await t.request('POST', `/api/v1/rollouts/${id}/approve`, { token: bob.token })).status).toBe(200);
    // Abort needs no approval (back to control); retry does.
    const aborted = await t.request('POST', `/api/v1/rollouts/${id}/abort`, { token: alice.token });
    expect(aborted.body.status).toBe('aborted');
    const retry = await t.request('POST', `/api/v1/rollouts/${id}/retry`, { token: alice.token });
    expect(retry.body.error).toMatchObject({ code: 'APPROVAL_REQUIRED', changeRequest: { kind: 'rollout-retry' } });
    expect((await t.plane.services.rollouts.peek(id))!.status).toBe('aborted');
    const rcr = await t.request('POST', CR, {
      token: bob.token,
      body: { kind: 'rollout-retry', rolloutId: id, baseVersion: aborted.body.version },
    });
    expect(rcr.status).toBe(201);
    expect((await t.request('POST', `${CR}/${rcr.body.id}/approve`, { token: alice.token })).status).toBe(200);
    expect(await t.plane.services.rollouts.peek(id)).toMatchObject({
      status: 'running',
      requestedByOwner: 'bob@example.com',
    });
  });

  it('segment writes in prod need a change request of kind segment: create, update, delete, re-validated and version-guarded on approval', async () => {
    const SEG = `${P}/environments/prod/segments`;
    const segRow = async (key: string) =>
      t.plane.db
        .selectFrom('segments')
        .selectAll()
        .where('environment_id', '=', 'shop.prod')
        .where('key', '=', key)
        .executeTakeFirst();
    const beta = { key: 'beta', included: ['u1'], excluded: [], rules: [] };
    // Directly: refused in prod with the route and kind to use, nothing stored; dev is not guarded.
    const direct = await t.request('POST', SEG, { token: alice.token, body: beta });
    expect(direct.status).toBe(409);
    expect(direct.body.error).toMatchObject({
      code: 'APPROVAL_REQUIRED',
      environments: ['shop.prod'],
      changeRequest: { method: 'POST', path: CR, kind: 'segment' },
    });
    expect(direct.body.error.message).toContain('changes segment beta');
    expect(await segRow('beta')).toBeUndefined();
    expect(
      (await t.request('POST', `${P}/environments/dev/segments`, { token: devEditor.token, body: beta })).status,
    ).toBe(201);

    // Filing checks the proposal and its base; the problems name the field under `segment`.
    const bad = await t.request('POST', CR, {
      token: alice.token,
      body: { kind: 'segment', action: 'create', segmentKey: 'beta', segment: { included: [7] }, baseVersion: 0 },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.problems).toEqual([{ path: 'segment.included[0]', message: 'expected string, got number' }]);
    const noBody = await t.request('POST', CR, {
      token: alice.token,
      body: { kind: 'segment', action: 'update', segmentKey: 'beta', baseVersion: 1 },
    });
    expect(noBody.status).toBe(400);
    expect(noBody.body.error.problems).toEqual([{ path: 'segment', message: 'required when action is update' }]);
    expect(
      (
        await t.request('POST', CR, {
          token: alice.token,
          body: { kind: 'segment', action: 'update', segmentKey: 'beta', segment: beta, baseVersion: 1 },
        })
      ).status,
    ).toBe(404);
    const fieldOf = async (body: Record<string, unknown>) => {
      const r = await t.request('POST', CR, { token: alice.token, body: { kind: 'segment', baseVersion: 0, ...body } });
      return [r.status, r.body.error.problems?.[0]?.path];
    };
    expect(await fieldOf({ action: 'delete', segmentKey: 'beta', segment: beta })).toEqual([400, 'segment']);
    expect(await fieldOf({ action: 'create', segmentKey: '../x', segment: beta })).toEqual([400, 'segmentKey']);
    expect(await fieldOf({ action: 'create', segmentKey: 'beta', segment: { ...beta, key: 'other' } })).toEqual([
      400,
      'segment.key',
    ]);
    expect(await fieldOf({ action: 'rename', segmentKey: 'beta', segment: beta })).toEqual([400, 'action']);
    expect(await fieldOf({ action: 'create', segmentKey: 'beta', segment: beta, baseVersion: 3 })).toEqual([
      409,
      undefined,
    ]);
    expect(
      (
        await t.request('POST', CR, {
          token: devEditor.token,
          body: { kind: 'segment', action: 'create', segmentKey: 'beta', segment: beta, baseVersion: 0 },
        })
      ).status,
    ).toBe(403);

    const create = await t.request('POST', CR, {
      token: alice.token,
      body: {
        kind: 'segment',
        action: 'create',
        segmentKey: 'beta',
        segment: beta,
        baseVersion: 0,
        comment: 'beta testers',
      },
    });
    expect(create.status).toBe(201);
    expect(create.body).toMatchObject({
      kind: 'segment',
      segment: { action: 'create', key: 'beta', segment: { key: 'beta', included: ['u1'], version: 1 } },
    });
    expect(create.body.flagKey).toBeUndefined();
    expect((await t.request('POST', `${CR}/${create.body.id}/approve`, { token: alice2.token })).body.error.code).toBe(
      'SELF_APPROVAL',
    );
    expect(await segRow('beta')).toBeUndefined();
    // An approver limited to prod may approve a change of prod only.
    const ok = await t.request('POST', `${CR}/${create.body.id}/approve`, { token: prodApprover.token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'applied', appliedVersion: 1 });
    expect(Number((await segRow('beta'))?.version)).toBe(1);
    expect((await loadEnvironmentState(t.plane.db, 'shop.prod'))?.snapshot.segments.beta).toMatchObject({
      included: ['u1'],
    });
    const audit = await t.plane.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_type', '=', 'segment')
      .where('environment_id', '=', 'shop.prod')
      .execute();
    // The row names the approver's key and, since migration 0005, its owner (the person).
    expect(audit.map((a) => [a.action, a.actor_name, a.actor_owner, a.reason])).toEqual([
      ['create', 'pat', 'pat@example.com', `change request ${create.body.id}: beta testers`],
    ]);
    const listed = await t.request('GET', '/api/v1/audit?environment=shop.prod&action=create');
    expect(listed.body.items.find((e: { entityType: string }) => e.entityType === 'segment')).toMatchObject({
      actor: { name: 'pat', owner: 'pat@example.com' },
      entityKey: 'beta',
    });

    // Two updates based on version 1: the first applies, the second's base moved.
    const upd = (included: string[]) =>
      t.request('POST', CR, {
        token: alice.token,
        body: { kind: 'segment', action: 'update', segmentKey: 'beta', segment: { ...beta, included }, baseVersion: 1 },
      });
    const [u1, u2] = [await upd(['u1', 'u2']), await upd(['u3'])];
    expect((await t.request('POST', `${CR}/${u1.body.id}/approve`, { token: bob.token })).body).toMatchObject({
      status: 'applied',
      appliedVersion: 2,
    });
    const movedBase = await t.request('POST', `${CR}/${u2.body.id}/approve`, { token: bob.token });
    expect(movedBase.status).toBe(409);
    expect(movedBase.body.error).toMatchObject({ code: 'BASE_MOVED', currentVersion: 2 });
    expect(JSON.parse((await segRow('beta'))!.document).included).toEqual(['u1', 'u2']);
    expect((await t.request('GET', `${CR}/${u2.body.id}`)).body.status).toBe('pending');
    expect(
      (await t.request('PUT', `${SEG}/beta`, { token: alice.token, body: { ...beta, version: 2 } })).body.error.code,
    ).toBe('APPROVAL_REQUIRED');
    expect((await t.request('DELETE', `${SEG}/beta`, { token: alice.token })).body.error.code).toBe(
      'APPROVAL_REQUIRED',
    );

    // A delete is checked again on approval: while a prod config uses the segment it is refused and stays pending.
    const del = await t.request('POST', CR, {
      token: alice.token,
      body: { kind: 'segment', action: 'delete', segmentKey: 'beta', baseVersion: 2 },
    });
    expect(del.status).toBe(201);
    const cfg = (await t.request('GET', `${P}/environments/prod/flags/search`)).body;
    const useIt = {
      ...onConfig(),
      rules: [{ conditions: [{ attribute: 'key', op: 'inSegment', values: ['beta'] }], serve: { variant: 'on' } }],
    };
    const ccr = await t.request('POST', CR, {
      token: alice.token,
      body: { flag: 'search', config: useIt, baseVersion: cfg.version },
    });
    expect((await t.request('POST', `${CR}/${ccr.body.id}/approve`, { token: bob.token })).status).toBe(200);
    const inUse = await t.request('POST', `${CR}/${del.body.id}/approve`, { token: bob.token });
    expect(inUse.body.error.code).toBe('SEGMENT_IN_USE');
    expect(await segRow('beta')).toBeDefined();
    const cfg2 = (await t.request('GET', `${P}/environments/prod/flags/search`)).body;
    const back = await t.request('POST', CR, {
      token: alice.token,
      body: { flag: 'search', config: onConfig(), baseVersion: cfg2.version },
    });
    expect((await t.request('POST', `${CR}/${back.body.id}/approve`, { token: bob.token })).status).toBe(200);
    expect((await t.request('POST', `${CR}/${del.body.id}/approve`, { token: bob.token })).body).toMatchObject({
      status: 'applied',
      appliedVersion: null,
    });
    expect(await segRow('beta')).toBeUndefined();
  });
});
