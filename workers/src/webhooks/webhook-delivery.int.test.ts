/**
 * Webhooks end to end on the real BullMQ (shared Redis, own prefix) and a real HTTP receiver:
 * an event committed while the queue is failing is delivered once it is back (the outbox), a
 * re-drained row is delivered once, deliveries are signed with the secret sealed at rest, names
 * are checked after DNS resolution and the connection goes to the checked address, a refused
 * destination fails at once with its reason, and an endless response body is not read.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BullDeliveryQueue,
  type DeliveryQueue,
  MapPolicyCatalog,
  validatePolicy,
  verifyWebhook,
  WebhookAllowList,
  type WebhookDelivery,
} from '@flagship/controller';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '@flagship/controller/testing';
import { WorkersMetrics } from '../metrics/workers-metrics.ts';
import { startRolloutWorkers, type RolloutWorkers } from '../rollouts/rollout-workers.ts';
import { deliverWebhook } from '../rollouts/deliver-webhook.ts';
import { eventually, testRedis, uniquePrefix } from '../test-support/fixtures.ts';
import { WebhookOutboxDrainer } from './webhook-outbox-drainer.ts';

const checked = validatePolicy({
  name: 'p',
  steps: [
    { weight: 10, minDuration: '1m' },
    { weight: 100, minDuration: '1m' },
  ],
  analysis: { interval: '1h' },
  traffic: { query: 'req{v="{{variant}}"}' },
  metrics: [{ name: 'err', kind: 'threshold', query: 'err{v="{{variant}}"}', max: 0.02 }],
});
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));

interface Received {
  delivery: string;
  event: string;
  valid: boolean;
}

function receiver(
  secret: string,
  received: Received[],
  handler?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (handler?.(req, res)) return;
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const ts = Number(req.headers['x-flagship-timestamp']);
      received.push({
        delivery: String(req.headers['x-flagship-delivery']),
        event: String(req.headers['x-flagship-event']),
        valid: verifyWebhook(secret, ts, body, String(req.headers['x-flagship-signature'])),
      });
      res.writeHead(204).end();
    });
  });
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as AddressInfo).port })),
  );
}

describe('webhook deliveries', () => {
  const prefix = uniquePrefix();
  const redis = testRedis(prefix);
  const secret = 'receiver-secret-0123456789abcdef';
  const received: Received[] = [];
  let hook: { server: Server; port: number };
  let t: TestServer;
  let real: BullDeliveryQueue;
  const connection = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  let queueDown = false;
  let workers: RolloutWorkers;
  const failed: Array<{ job: Job<WebhookDelivery> | undefined; error: Error }> = [];
  const resolved: string[] = [];
  const metrics = new WorkersMetrics();
  const deliveries = async (outcome: string) => {
    const series = `flagship_webhook_deliveries_total{outcome="${outcome}"}`;
    const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };

  beforeAll(async () => {
    hook = await receiver(secret, received);
    real = new BullDeliveryQueue({ connection, prefix });
    // "Redis down at commit", as the delivery queue sees it: every add fails while queueDown.
    const flaky: DeliveryQueue = {
      enqueue: async (d) => {
        if (queueDown) throw new Error('Connection is closed.');
        await real.enqueue(d);
      },
    };
    t = await startTestServer('sqlite', {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['p', checked.value]])),
        scheduler: { schedule: async () => {} },
        deliveries: flaky,
      },
      webhooks: { allow: new WebhookAllowList(['127.0.0.1']) },
    });
    await seedProject(t, 'shop', [{ key: 'prod' }]);
    expect((await t.request('POST', '/api/v1/projects/shop/flags', { body: booleanFlag('checkout') })).status).toBe(
      201,
    );
    expect(
      (
        await t.request('PUT', '/api/v1/projects/shop/environments/prod/flags/checkout', {
          body: { ...onConfig({ defaultRule: { variant: 'off' } }), version: 1 },
        })
      ).status,
    ).toBe(200);
    workers = await startRolloutWorkers({
      connection,
      prefix,
      rollouts: t.plane.services.rollouts,
      webhooks: t.plane.services.webhooks,
      prometheusUrl: 'http://127.0.0.1:9',
      webhookAllow: new WebhookAllowList(['127.0.0.1']),
      metrics,
      log: () => {},
      // rebind.test is "attacker DNS": first 127.0.0.1 (allowed here by address), then 10.0.0.1.
      resolve: async (name) => {
        resolved.push(name);
        if (name === 'loopback.test')
          return [
            { address: '93.184.215.14', family: 4 },
            { address: '127.0.0.2', family: 4 },
          ];
        return [{ address: resolved.filter((n) => n === name).length === 1 ? '127.0.0.1' : '10.0.0.1', family: 4 }];
      },
    });
    workers.deliveries.on('failed', (job, error) => failed.push({ job, error }));
  }, 60_000);

  afterAll(async () => {
    await workers?.close();
    await real?.close();
    await t?.close();
    hook?.server.close();
    connection.disconnect();
    await redis.cleanup();
  });

  it('an event committed while the queue is failing is delivered once it is back, signed, once', async () => {
    const created = await t.request('POST', '/api/v1/webhooks', {
      body: { url: `http://127.0.0.1:${hook.port}/hook`, secret },
    });
    expect(created.status).toBe(201);
    const started = await t.request('POST', '/api/v1/projects/shop/environments/prod/flags/checkout/rollouts', {
      body: { policy: 'p', treatment: 'on', control: 'off' },
    });
    expect(started.status).toBe(201);
    queueDown = true;
    const paused = await t.request('POST', `/api/v1/rollouts/${started.body.id}/pause`, {
      body: { reason: 'incident' },
    });
    expect(paused.status).toBe(200);
    const drainer = new WebhookOutboxDrainer({ webhooks: t.plane.services.webhooks, sweepEveryMs: 100, log: () => {} });
    await drainer.start();
    await drainer.idle();
    const rows = await t.plane.db.selectFrom('webhook_outbox').selectAll().execute();
    expect(rows.map((r) => r.event)).toEqual(['rollout.paused']);
    queueDown = false; // Redis is back: the periodic sweep queues the row
    await eventually(async () => expect(received.map((r) => r.event)).toEqual(['rollout.paused']), 20_000);
    expect(received[0]).toMatchObject({ delivery: rows[0]!.id, valid: true });
    // Counted when BullMQ completes the job, a moment after the receiver answered.
    await eventually(async () => expect(await deliveries('delivered')).toBe(1), 5_000);
    expect(await t.plane.db.selectFrom('webhook_outbox').selectAll().execute()).toEqual([]);
    // A drainer that queued the row but died before deleting it: the row comes back, the job id
    // is the row id, so BullMQ keeps one job and the receiver one delivery.
    await t.plane.db.insertInto('webhook_outbox').values(rows[0]!).execute();
    await drainer.idle();
    await eventually(
      async () => expect(await t.plane.db.selectFrom('webhook_outbox').selectAll().execute()).toEqual([]),
      10_000,
    );
    await drainer.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(received.map((r) => r.delivery)).toEqual([rows[0]!.id]);
  }, 60_000);

  it('stores the secret sealed, never lists it, and delivers with the plaintext', async () => {
    const stored = await t.plane.db.selectFrom('webhooks').select(['secret']).execute();
    expect(stored.length).toBeGreaterThan(0);
    for (const row of stored) {
      expect(row.secret).not.toContain(secret);
      expect(row.secret).toMatch(/^v1\.[0-9a-f]{8}\./);
    }
    const listed = await t.request('GET', '/api/v1/webhooks');
    expect(listed.text).not.toContain(secret);
    expect(listed.text).not.toContain(stored[0]!.secret);
    expect(received.every((r) => r.valid)).toBe(true);
  });

  it('checks names after DNS and connects to the address it checked (no rebinding)', async () => {
    const hooks = await t.plane.services.webhooks.target(1);
    expect(hooks?.ok).toBe(true);
    const d: WebhookDelivery = {
      deliveryId: 'rebind-1',
      webhookId: 1,
      event: 'rollout.paused',
      payload: {},
      at: new Date().toISOString(),
    };
    const before = received.length;
    let calls = 0;
    const status = await deliverWebhook({ url: `http://rebind.test:${hook.port}/hook`, secret }, d, {
      allow: new WebhookAllowList(['127.0.0.1']),
      // The first answer is checked; a second lookup (the connection's own) would get 10.0.0.1.
      resolve: async () => [{ address: calls++ === 0 ? '127.0.0.1' : '10.0.0.1', family: 4 }],
    });
    expect(status).toBe(204);
    expect(calls).toBe(1);
    expect(received.length).toBe(before + 1);
  });

  it('a name resolving to a loopback address is refused at once with the reason, not retried', async () => {
    const created = await t.request('POST', '/api/v1/webhooks', {
      body: { url: `http://loopback.test:${hook.port}/hook`, events: ['rollout.rolled_back'] },
    });
    expect(created.status).toBe(201); // a name is checked at delivery: what it resolves to can change
    const id = (await t.request('GET', '/api/v1/rollouts?flag=checkout')).body.items[0].id;
    await t.request('POST', `/api/v1/rollouts/${id}/abort`, { body: { reason: 'test' } });
    await t.plane.services.webhooks.drain();
    await eventually(
      async () => expect(failed.some((f) => f.job?.data.webhookId === created.body.id)).toBe(true),
      20_000,
    );
    const f = failed.find((x) => x.job?.data.webhookId === created.body.id)!;
    expect(f.error.message).toMatch(
      /127\.0\.0\.2 is loopback; deliveries there are refused unless WEBHOOK_ALLOW_HOSTS lists "loopback\.test"/,
    );
    expect(f.job!.attemptsMade).toBe(1);
    // Refused: no retry, so the one attempt is the last (exhausted), not a retried failure.
    await eventually(async () => expect(await deliveries('exhausted')).toBe(1), 5_000);
    expect(await deliveries('failed')).toBe(0);
  }, 30_000);

  it('reads an endless response body only up to the cap', async () => {
    const endless = await receiver(secret, [], (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 120);
      // Bounded: at most ~6 GB over at most 10 minutes, stopped when the client goes away.
      let sent = 0;
      const pump = () => {
        while (sent++ < 100_000 && !res.destroyed && res.write(chunk));
        if (!res.destroyed && sent < 100_000) res.once('drain', pump);
      };
      pump();
      return true;
    });
    try {
      const d: WebhookDelivery = {
        deliveryId: 'endless-1',
        webhookId: 1,
        event: 'rollout.paused',
        payload: {},
        at: new Date().toISOString(),
      };
      // The deadline is far beyond the test's own timeout: only the cap can end this exchange in time.
      const status = await deliverWebhook({ url: `http://127.0.0.1:${endless.port}/hook`, secret }, d, {
        allow: new WebhookAllowList(['127.0.0.1']),
        timeoutMs: 600_000,
      });
      expect(status).toBe(200);
    } finally {
      endless.server.closeAllConnections();
      endless.server.close();
    }
  }, 20_000);
});
