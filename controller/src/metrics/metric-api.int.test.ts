/**
 * Metric definitions through the admin API on both databases: create, read, replace (If-Match),
 * delete, each audited with its diff in the same transaction; 400/422 with paths; the ramp
 * policies' metrics listed read-only beside the project's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MapPolicyCatalog } from '../rollouts/policy-catalog.ts';
import { validatePolicy } from '../rollouts/policy/policy-schema.ts';
import { DIALECTS } from '../test-support/test-database.ts';
import { seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

const API = '/api/v1/projects/shop/metrics';
const conversion = {
  key: 'conversion',
  name: 'Conversion',
  kind: 'ratio',
  better: 'higher',
  numerator: 'sum(increase(checkout_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
  denominator: 'sum(increase(evaluator_exposures_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
  unit: '%',
};

describe.each(DIALECTS)('metric definitions API on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    const policy = validatePolicy({
      name: 'safe',
      steps: [{ weight: 100, minDuration: '1m' }],
      analysis: { interval: '10s' },
      traffic: { query: 'req{v="{{variant}}"}' },
      metrics: [
        { name: 'errors', kind: 'comparison', errorsQuery: 'e{v="{{variant}}"}', totalQuery: 't{v="{{variant}}"}' },
        { name: 'latency', kind: 'threshold', query: 'l{v="{{variant}}"}', max: 0.3 },
      ],
    });
    if (!policy.ok) throw new Error(JSON.stringify(policy.problems));
    t = await startTestServer(dialect, {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['safe', policy.value]])),
        scheduler: { schedule: async () => {} },
      },
    });
    await seedProject(t, 'shop', [{ key: 'prod' }]);
  });
  afterAll(() => t.close());

  it('creates, reads, replaces and deletes, each audited with its diff', async () => {
    const created = await t.request('POST', API, { body: conversion });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({ ...conversion, source: 'project', readOnly: false, version: 1 });

    const got = await t.request('GET', `${API}/conversion`);
    expect(got.status).toBe(200);
    // GET -> edit -> PUT round-trips (the read-only fields are accepted and dropped).
    const put = await t.request('PUT', `${API}/conversion`, {
      body: { ...got.body, name: 'Checkout conversion', flags: ['checkout'] },
      headers: { 'if-match': '"1"' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: 'Checkout conversion', flags: ['checkout'], version: 2 });
    const stale = await t.request('PUT', `${API}/conversion`, { body: { ...conversion, version: 1 } });
    expect([stale.status, stale.body.error.code]).toEqual([409, 'STALE_VERSION']);
    expect((await t.request('POST', API, { body: conversion })).body.error.code).toBe('DUPLICATE_KEY');

    expect((await t.request('DELETE', `${API}/conversion`)).status).toBe(204);
    expect((await t.request('GET', `${API}/conversion`)).status).toBe(404);

    const audit = await t.request('GET', '/api/v1/audit?project=shop');
    const rows = audit.body.items.filter((e: { entityType: string }) => e.entityType === 'metric');
    expect(rows.map((e: { action: string }) => e.action)).toEqual(['metric.delete', 'metric.update', 'metric.create']);
    expect(rows[1].diff).toEqual(
      expect.arrayContaining([
        { path: '/name', old: 'Conversion', new: 'Checkout conversion' },
        { path: '/version', old: 1, new: 2 },
      ]),
    );
    expect(rows[2]).toMatchObject({ entityKey: 'conversion', projectKey: 'shop', before: null });
  });

  it('refuses malformed bodies (400) and invalid definitions (422) with paths', async () => {
    const wrongType = await t.request('POST', API, { body: { ...conversion, flags: 'checkout' } });
    expect([wrongType.status, wrongType.body.error.problems]).toEqual([
      400,
      [{ path: 'flags', message: 'must be an array of strings' }],
    ]);
    const invalid = await t.request('POST', API, {
      body: { ...conversion, key: 'Bad Key', numerator: 'x{{team}}', kind: 'ratio', better: 'more' },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.problems.map((p: { path: string }) => p.path)).toEqual([
      'key',
      'better',
      'numerator',
      'numerator',
    ]);
    expect((await t.request('POST', '/api/v1/projects/nope/metrics', { body: conversion })).status).toBe(404);
    // Nothing was written by the refusals.
    expect((await t.request('GET', API)).body.items.filter((m: { source: string }) => m.source === 'project')).toEqual(
      [],
    );
  });

  it("lists the policies' metrics read-only, mapped to the same shape", async () => {
    await t.request('POST', API, { body: { ...conversion, key: 'conv' } });
    const list = await t.request('GET', API);
    expect(list.body.items.map((m: { key: string; source: string }) => [m.key, m.source])).toEqual([
      ['conv', 'project'],
      ['policy:safe:errors', 'policy:safe'],
      ['policy:safe:latency', 'policy:safe'],
    ]);
    expect(list.body.items[1]).toMatchObject({
      kind: 'ratio',
      better: 'lower',
      numerator: 'e{v="{{variant}}"}',
      denominator: 't{v="{{variant}}"}',
      readOnly: true,
    });
    expect(list.body.items[2]).toMatchObject({ kind: 'quantile', better: 'lower', query: 'l{v="{{variant}}"}' });
    expect((await t.request('GET', `${API}/policy:safe:errors`)).body.source).toBe('policy:safe');
    const del = await t.request('DELETE', `${API}/policy:safe:errors`);
    expect([del.status, del.body.error.code]).toEqual([409, 'METRIC_READ_ONLY']);
  });
});
