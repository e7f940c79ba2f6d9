/** GET …/segments and …/segments/:s answer `usedBy`: the flags whose config in that environment names the segment. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

describe.each(DIALECTS)('segment usage on %s', (dialect) => {
  let t: TestServer;
  const P = '/api/v1/projects/shop';
  const rule = (op: string, values: string[]) => ({
    conditions: [
      { attribute: 'plan', op: 'in', values: ['pro'] },
      { attribute: 'x', op, values },
    ],
    serve: { variant: 'on' },
  });
  beforeAll(async () => {
    t = await startTestServer(dialect);
    await seedProject(t, 'shop', [{ key: 'dev' }, { key: 'qa' }]);
    for (const env of ['dev', 'qa'])
      for (const key of ['beta', 'staff', 'idle'])
        expect(
          (await t.request('POST', `${P}/environments/${env}/segments`, { body: { key, included: ['u1'] } })).status,
        ).toBe(201);
    for (const f of ['checkout', 'search', 'banner'])
      expect((await t.request('POST', `${P}/flags`, { body: booleanFlag(f) })).status).toBe(201);
    const put = async (env: string, flag: string, rules: unknown[]) =>
      expect(
        (
          await t.request('PUT', `${P}/environments/${env}/flags/${flag}`, {
            body: { ...onConfig({ rules }), version: 1 },
          })
        ).status,
      ).toBe(200);
    // dev: search names beta and staff (one of them negated), checkout names beta; banner names none.
    await put('dev', 'search', [rule('inSegment', ['staff']), rule('notInSegment', ['beta'])]);
    await put('dev', 'checkout', [rule('inSegment', ['beta', 'staff'])]);
    // qa: only banner, and only staff: usage is per environment.
    await put('qa', 'banner', [rule('notInSegment', ['staff'])]);
  });
  afterAll(async () => t?.close());

  it('lists each segment with the flags that use it in that environment, sorted', async () => {
    const dev = await t.request('GET', `${P}/environments/dev/segments`);
    expect(dev.status).toBe(200);
    expect(dev.body.items.map((s: { key: string; usedBy: string[] }) => [s.key, s.usedBy])).toEqual([
      ['beta', ['checkout', 'search']],
      ['idle', []],
      ['staff', ['checkout', 'search']],
    ]);
    const qa = await t.request('GET', `${P}/environments/qa/segments`);
    expect(qa.body.items.map((s: { key: string; usedBy: string[] }) => [s.key, s.usedBy])).toEqual([
      ['beta', []],
      ['idle', []],
      ['staff', ['banner']],
    ]);
  });

  it('GET one segment has usedBy; its answer can be PUT back (usedBy is read-only); the delete agrees', async () => {
    const one = await t.request('GET', `${P}/environments/qa/segments/staff`);
    expect(one.body).toEqual({
      key: 'staff',
      included: ['u1'],
      excluded: [],
      rules: [],
      version: 1,
      usedBy: ['banner'],
    });
    const back = await t.request('PUT', `${P}/environments/qa/segments/staff`, {
      body: { ...one.body, included: ['u1', 'u2'], usedBy: ['made-up'] },
    });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ included: ['u1', 'u2'], version: 2 });
    expect((await t.request('GET', `${P}/environments/qa/segments/staff`)).body.usedBy).toEqual(['banner']);
    const refused = await t.request('DELETE', `${P}/environments/qa/segments/staff`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'SEGMENT_IN_USE', message: expect.stringContaining('banner') });
    expect((await t.request('DELETE', `${P}/environments/qa/segments/idle`)).status).toBe(204);
    // Once no config names it any more, it is unused.
    await t.request('PUT', `${P}/environments/qa/flags/banner`, { body: { ...onConfig(), version: 2 } });
    expect((await t.request('GET', `${P}/environments/qa/segments/staff`)).body.usedBy).toEqual([]);
  });
});
