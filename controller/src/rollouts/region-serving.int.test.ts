/**
 * Rollouts across regions (docs/regions.md): with REGIONS set, a step's clock starts only when
 * every region has an evaluator reporting (in the home Redis's `served:<env>`, within 10 s) the
 * environment's current version. Real Redis under a private prefix, the real service and
 * database; the reports are written here as the evaluators' ServedReporter writes them.
 */
import { randomBytes } from 'node:crypto';
import { redisKeys } from '@flagship/evaluator/propagation';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { EMPTY_COUNTERS, type Decision, type TickDecision } from './analysis/decide.ts';
import { MapPolicyCatalog } from './policy-catalog.ts';
import { validatePolicy } from './policy/policy-schema.ts';

const checked = validatePolicy({
  name: 'ramp',
  steps: [
    { weight: 10, minDuration: '1m' },
    { weight: 50, minDuration: '1m' },
    { weight: 100, minDuration: '1m' },
  ],
  analysis: { interval: '10s' },
  traffic: { query: 'req{v="{{variant}}"}' },
  metrics: [{ name: 'err', kind: 'threshold', query: 'err{v="{{variant}}"}', max: 0.02 }],
});
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));

const decision = (d: Decision): TickDecision => ({
  decision: d,
  reason: `test says ${d}`,
  metrics: [],
  srm: undefined,
  counters: EMPTY_COUNTERS,
  traffic: { treatment: { kind: 'nodata' }, control: { kind: 'nodata' } },
});

describe('a rollout step waits for every region in REGIONS', () => {
  const prefix = `fs-test-regions-${randomBytes(4).toString('hex')}:`;
  const keys = redisKeys(prefix);
  const env = 'shop.prod';
  const P = '/api/v1/projects/shop/environments/prod/flags';
  let t: TestServer;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    t = await startTestServer('sqlite', {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['ramp', checked.value]])),
        scheduler: { schedule: async () => {} },
        deliveries: { enqueue: async () => {} },
        regions: { redis, keyPrefix: prefix, regions: ['home', 'far'] },
      },
    });
    await seedProject(t, 'shop', [{ key: 'prod' }]);
    for (const key of ['checkout', 'search']) {
      expect((await t.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag(key) })).status).toBe(201);
      expect(
        (
          await t.request('PUT', `${P}/${key}`, {
            body: { ...onConfig({ defaultRule: { variant: 'off' } }), version: 1 },
          })
        ).status,
      ).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
    await t?.close();
  });

  // No publisher runs here: the outbox is emptied as if every change were published, and the
  // environment's version key says what that publish produced.
  const published = async (version: number) => {
    await t.plane.db.deleteFrom('outbox').execute();
    await redis.set(keys.version(env), String(version));
  };
  const report = (field: string, version: number, agoMs = 0) =>
    redis.hset(keys.served(env), field, JSON.stringify({ version, at: Date.now() - agoMs }));
  const last = (r: { ticks: Array<{ seq: number }> }) => r.ticks.reduce((a, b) => (b.seq > a.seq ? b : a));
  const tick = async (id: number, d: Decision) => {
    const read = (await t.plane.services.rollouts.peek(id))!;
    expect(await t.plane.services.rollouts.applyTick(read, decision(d), {}, 0)).toBe('applied');
    return (await t.request('GET', `/api/v1/rollouts/${id}`)).body;
  };

  it('holds while a region has no report, an old one, or one behind; advances once every region is current', async () => {
    const started = await t.request('POST', `${P}/checkout/rollouts`, {
      body: { policy: 'ramp', treatment: 'on', control: 'off' },
    });
    expect(started.status).toBe(201);
    const id = started.body.id as number;
    await published(7);
    await report('home/h1', 7);

    // far: no evaluator has reported at all (a partition since before the step).
    let r = await tick(id, 'advance');
    expect(r).toMatchObject({ status: 'running', step: 1, weightPercent: 10 });
    expect(last(r)).toMatchObject({ decision: 'hold', reason: expect.stringMatching(/advance deferred/) });

    // far: a report older than 10 s (the region went silent), then a current one of an older version.
    await report('far/f1', 7, 11_000);
    r = await tick(id, 'advance');
    expect(r).toMatchObject({ step: 1, weightPercent: 10 });
    await report('far/f1', 6);
    r = await tick(id, 'advance');
    expect(r).toMatchObject({ step: 1, weightPercent: 10 });
    expect(r.ticks.map((k: { decision: string }) => k.decision)).toEqual(['hold', 'hold', 'hold']);

    // far catches up (any one evaluator of the region is enough): the step is judged and advances.
    await report('far/f2', 7);
    r = await tick(id, 'advance');
    expect(r).toMatchObject({ status: 'running', step: 2, weightPercent: 50 });
    expect(last(r)).toMatchObject({ decision: 'advance' });

    // The advance published a new version; home alone serving it is not enough.
    await published(8);
    await report('home/h1', 8);
    r = await tick(id, 'advance');
    expect(r).toMatchObject({ step: 2, weightPercent: 50 });
    expect(last(r)).toMatchObject({ decision: 'hold' });
  });

  it('never holds a rollback, even with a region cut off', async () => {
    const started = await t.request('POST', `${P}/search/rollouts`, {
      body: { policy: 'ramp', treatment: 'on', control: 'off' },
    });
    const id = started.body.id as number;
    await published(9);
    await redis.del(keys.served(env));
    const r = await tick(id, 'rollback');
    expect(r).toMatchObject({ status: 'rolled-back', weightPercent: 0 });
  });
});

describe('with REGIONS empty (the default)', () => {
  let t: TestServer;

  beforeAll(async () => {
    // A Redis that fails every read: with no region listed, a tick must not need it.
    const unreachable = {
      get: () => Promise.reject(new Error('no Redis')),
      hgetall: () => Promise.reject(new Error('no Redis')),
    };
    t = await startTestServer('sqlite', {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['ramp', checked.value]])),
        scheduler: { schedule: async () => {} },
        deliveries: { enqueue: async () => {} },
        regions: { redis: unreachable, keyPrefix: 'unused:', regions: [] },
      },
    });
    await seedProject(t, 'shop', [{ key: 'prod' }]);
    const P = '/api/v1/projects/shop/environments/prod/flags';
    expect((await t.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag('checkout') })).status).toBe(
      201,
    );
    expect(
      (
        await t.request('PUT', `${P}/checkout`, {
          body: { ...onConfig({ defaultRule: { variant: 'off' } }), version: 1 },
        })
      ).status,
    ).toBe(200);
  }, 60_000);

  afterAll(() => t?.close());

  it('advances on the outbox rule alone, reading no report', async () => {
    const started = await t.request('POST', '/api/v1/projects/shop/environments/prod/flags/checkout/rollouts', {
      body: { policy: 'ramp', treatment: 'on', control: 'off' },
    });
    expect(started.status).toBe(201);
    const id = started.body.id as number;
    await t.plane.db.deleteFrom('outbox').execute();
    const read = (await t.plane.services.rollouts.peek(id))!;
    expect(await t.plane.services.rollouts.applyTick(read, decision('advance'), {}, 0)).toBe('applied');
    const r = (await t.request('GET', `/api/v1/rollouts/${id}`)).body;
    expect(r).toMatchObject({ status: 'running', step: 2, weightPercent: 50 });
  });
});
