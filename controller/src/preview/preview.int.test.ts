import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

describe('evaluation preview', () => {
  let t: TestServer;
  const E = '/api/v1/projects/p/environments/dev';
  beforeAll(async () => {
    t = await startTestServer('sqlite');
    await seedProject(t, 'p', [{ key: 'dev' }]);
    await t.request('POST', '/api/v1/projects/p/flags', { body: booleanFlag('f') });
    await t.request('POST', `${E}/segments`, { body: { key: 'beta', included: ['vip'] } });
    await t.request('PUT', `${E}/flags/f`, {
      body: {
        ...onConfig({
          defaultRule: { variant: 'off' },
          rules: [
            { id: 'pro', conditions: [{ attribute: 'plan', op: 'in', values: ['pro'] }], serve: { variant: 'on' } },
            {
              id: 'beta',
              conditions: [{ attribute: 'x', op: 'inSegment', values: ['beta'] }],
              serve: { variant: 'on' },
            },
          ],
        }),
        version: 1,
      },
    });
  });
  afterAll(async () => t?.close());

  it('explains which rule served what, from the stored state', async () => {
    const pro = await t.request('POST', `${E}/flags/f/preview`, {
      body: { context: { targetingKey: 'u1', plan: 'pro' } },
    });
    expect(pro.status).toBe(200);
    expect(pro.body.explanation).toMatchObject({
      decidedBy: 'rule',
      ruleIndex: 0,
      ruleId: 'pro',
      result: { value: true, variant: 'on', reason: 'TARGETING_MATCH' },
    });
    const vip = await t.request('POST', `${E}/flags/f/preview`, { body: { context: { targetingKey: 'vip' } } });
    expect(vip.body.explanation).toMatchObject({ decidedBy: 'rule', ruleId: 'beta', result: { variant: 'on' } });
    const other = await t.request('POST', `${E}/flags/f/preview`, {
      body: { context: { targetingKey: 'u2', plan: 'free' } },
    });
    expect(other.body.explanation).toMatchObject({
      decidedBy: 'default',
      result: { variant: 'off', reason: 'DEFAULT' },
    });
  });

  it('follows changes at once, and 404s an unknown flag', async () => {
    await t.request('POST', '/api/v1/projects/p/flags/f/kill', { body: { reason: 'test' } });
    const killed = await t.request('POST', `${E}/flags/f/preview`, {
      body: { context: { targetingKey: 'u1', plan: 'pro' } },
    });
    expect(killed.body.explanation).toMatchObject({
      decidedBy: 'disabled',
      result: { variant: 'off', reason: 'DISABLED' },
    });
    expect((await t.request('POST', `${E}/flags/nope/preview`, { body: { context: {} } })).status).toBe(404);
  });
});
