/**
 * Evaluator admission (issue 8 item 6, docs/operations.md "Evaluator admission") over real
 * sockets against a real server on the real Redis: a trickled body holds no slot and is cut at
 * the deadline; health probes are answered while the server sheds; SSE streams are capped per
 * key and in total; HEAD opens no stream; a revoked key's stream ends at the swap; metrics and
 * readiness detail are only on the admin listener.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluatorConfig } from './config.ts';
import { createEvaluatorServer, type EvaluatorServer } from './evaluator-server.ts';
import { silentLogger } from './logger.ts';
import {
  rawConnection,
  redisFixture,
  tempDataDir,
  typesSnapshot,
  waitFor,
  within,
  type RedisFixture,
} from './test-support.ts';

let fx: RedisFixture;
let data: { dir: string; remove(): Promise<void> };
let server: EvaluatorServer | undefined;
const streams: AbortController[] = [];

beforeEach(async () => {
  fx = await redisFixture();
  data = await tempDataDir();
});
afterEach(async () => {
  for (const c of streams.splice(0)) c.abort();
  await server?.close();
  server = undefined;
  await fx.cleanup();
  await data.remove();
});

async function start(overrides: Partial<EvaluatorConfig> = {}): Promise<EvaluatorServer> {
  server = createEvaluatorServer(
    { port: 0, keyPrefix: fx.prefix, dataDir: data.dir, redisConnectTimeoutMs: 2000, ...overrides },
    { logger: silentLogger },
  );
  await server.start();
  return server;
}

const evaluate = (key = 'key-prod') =>
  fetch(`${server!.url}/ofrep/v1/evaluate/flags/bool-flag`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: '{"context":{"targetingKey":"u"}}',
  });

const adminMetrics = async () => (await fetch(`${server!.adminUrl}/metrics`)).text();

/** Opens a stream; the caller's afterEach aborts it. */
async function openStream(key: string, path = '/v1/stream') {
  const controller = new AbortController();
  streams.push(controller);
  const res = await fetch(`${server!.url}${path}`, {
    headers: { authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  return { res, controller };
}

const readers = new WeakMap<Response, ReadableStreamDefaultReader<Uint8Array>>();

/** Reads a stream (on from where the last call stopped) until `done(text)` or its end; returns the text and whether the server ended it. */
async function readStream(
  res: Response,
  done: (text: string) => boolean,
  ms: number,
): Promise<{ text: string; ended: boolean }> {
  let reader = readers.get(res);
  if (reader === undefined) readers.set(res, (reader = res.body!.getReader()));
  let text = '';
  const read = async () => {
    for (let i = 0; i < 1000; i++) {
      const chunk = await reader.read();
      if (chunk.done) return { text, ended: true };
      text += Buffer.from(chunk.value).toString();
      if (done(text)) return { text, ended: false };
    }
    return { text, ended: false };
  };
  return within(read(), ms, `stream text (got ${JSON.stringify(text)})`);
}

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* the event loop lags */
  }
}

describe('slow request bodies', () => {
  it('hold no in-flight slot: others are served while they trickle, and each is cut at the deadline with 408', async () => {
    await fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    await start({ maxInFlight: 2, bodyTimeoutMs: 600 });
    // Three requests (more than maxInFlight) send their headers and part of their body, then stall.
    const slow = await Promise.all([0, 1, 2].map(() => rawConnection(server!.port)));
    for (const c of slow) {
      c.socket.write(
        'POST /ofrep/v1/evaluate/flags/bool-flag HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer key-prod\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"context":',
      );
    }
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 5; i++) {
      const r = await evaluate();
      expect(r.status, `request ${i} while 3 bodies trickle`).toBe(200);
      await r.text();
    }
    // Cut at the deadline (600 ms + the check interval), not at the old 30 s request timeout.
    const answers = await within(Promise.all(slow.map((c) => c.closed)), 5000, 'the slow requests to be cut');
    for (const text of answers) {
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toContain('Connection: close');
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({
        errorCode: 'GENERAL',
        errorDetails: 'request not received within 600 ms',
      });
    }
    expect((await evaluate()).status).toBe(200);
    expect(await adminMetrics()).toContain('evaluator_request_timeouts_total 3');
  });
});

describe('load shedding', () => {
  it('sheds OFREP with 429 + Retry-After while the event loop lags, but answers /healthz and /readyz', async () => {
    await fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    await start({ maxEventLoopLagMs: 50 });
    const [ofrep, health, ready, snapshot] = await Promise.all([0, 1, 2, 3].map(() => rawConnection(server!.port)));
    await new Promise((r) => setTimeout(r, 50));
    // Lag the event loop until the server notices (its 100 ms lag check runs late).
    for (let i = 0; i < 20 && !server!.admission.shedding; i++) {
      busy(200);
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(server!.admission.shedding).toBe(true);
    const body = '{"context":{"targetingKey":"u"}}';
    ofrep!.socket.write(
      `POST /ofrep/v1/evaluate/flags/bool-flag HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer key-prod\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    health!.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    ready!.socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    snapshot!.socket.write(
      'GET /v1/snapshot HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer key-prod\r\nConnection: close\r\n\r\n',
    );
    // Still lagging when the server reads them: every lag check from now on runs >= 300 ms late.
    busy(300);
    const [o, h, r, s] = await within(
      Promise.all([ofrep!.closed, health!.closed, ready!.closed, snapshot!.closed]),
      5000,
      'the answers',
    );
    expect(o).toMatch(/^HTTP\/1\.1 429 /);
    expect(o).toMatch(/\r\nRetry-After: 1\r\n/i);
    expect(s).toMatch(/^HTTP\/1\.1 429 /);
    expect(h).toMatch(/^HTTP\/1\.1 200 /);
    expect(h.endsWith('{"status":"ok"}')).toBe(true);
    expect(r).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.endsWith('{"ready":true}')).toBe(true);
    await waitFor(() => !server!.admission.shedding, 3000, 'the lag to pass');
    expect((await evaluate()).status).toBe(200);
    expect(await adminMetrics()).toMatch(/evaluator_requests_shed_total\{reason="event_loop_lag"\} 2/);
  });
});

describe('SSE streams', () => {
  beforeEach(async () => {
    await fx.publish(typesSnapshot('prod', 1), ['key-prod', 'key-prod-b']);
    await fx.publish(typesSnapshot('staging', 1), ['key-staging']);
  });

  it('are capped per key and in total: the stream over a cap gets 429 with Retry-After; a closed one frees its place', async () => {
    await start({ sseMaxStreamsPerKey: 2, sseMaxStreams: 3 });
    const a1 = await openStream('key-prod');
    const a2 = await openStream('key-prod', '/ofrep/v1/stream');
    expect([a1.res.status, a2.res.status]).toEqual([200, 200]);
    const overKey = await openStream('key-prod');
    expect(overKey.res.status).toBe(429);
    expect(overKey.res.headers.get('retry-after')).toBe('30');
    expect(await overKey.res.json()).toEqual({
      errorCode: 'GENERAL',
      errorDetails: 'this SDK key has 2 open streams on this evaluator, the most it may',
    });
    // Another key of the same environment has its own share...
    expect((await openStream('key-prod-b')).res.status).toBe(200);
    // ...until the process's total is reached.
    const overTotal = await openStream('key-staging');
    expect(overTotal.res.status).toBe(429);
    expect(overTotal.res.headers.get('retry-after')).toBe('5');
    expect(await overTotal.res.json()).toMatchObject({
      errorDetails: 'this evaluator has 3 open streams, the most it serves',
    });
    // Evaluation is not a stream: unaffected by the caps.
    expect((await evaluate('key-staging')).status).toBe(200);
    a1.controller.abort();
    await waitFor(
      async () => {
        const again = await openStream('key-staging');
        if (again.res.status !== 200) await again.res.text();
        return again.res.status === 200;
      },
      5000,
      'the closed stream to free its place',
    );
    const text = await adminMetrics();
    expect(text).toContain('evaluator_sse_clients 3');
    expect(text).toMatch(/evaluator_requests_shed_total\{reason="sse_per_key"\} 1/);
    expect(text).toMatch(/evaluator_requests_shed_total\{reason="sse_total"\} [1-9]/);
  });

  it('HEAD on a stream path answers the stream headers and opens no stream', async () => {
    await start({ sseMaxStreamsPerKey: 1 });
    for (const path of ['/v1/stream', '/ofrep/v1/stream', '/v1/stream', '/ofrep/v1/stream']) {
      const head = await within(
        fetch(`${server!.url}${path}`, { method: 'HEAD', headers: { authorization: 'Bearer key-prod' } }),
        5000,
        `HEAD ${path}`,
      );
      expect(head.status, path).toBe(200);
      expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
      // A stream opened for a HEAD would never end: the answer must be complete.
      expect(await within(head.text(), 5000, `the end of HEAD ${path}`)).toBe('');
    }
    expect(await adminMetrics()).toContain('evaluator_sse_clients 0');
    // The key's single place is still free.
    expect((await openStream('key-prod')).res.status).toBe(200);
    // HEAD still needs a key.
    expect((await fetch(`${server!.url}/v1/stream`, { method: 'HEAD' })).status).toBe(401);
  });

  it('of a revoked key get a `revoked` event and end at the swap that drops the key; other streams go on', async () => {
    await start();
    const revoked = await openStream('key-prod');
    const kept = await openStream('key-prod-b', '/ofrep/v1/stream');
    await readStream(revoked.res, (t) => t.includes('"version":1'), 5000);
    // The controller revokes key-prod: the next snapshot no longer lists it.
    await fx.publish(typesSnapshot('prod', 2), ['key-prod-b']);
    const end = await readStream(revoked.res, () => false, 5000);
    expect(end.ended).toBe(true);
    expect(end.text).toContain(
      'event: revoked\ndata: {"reason":"the SDK key of this stream was revoked","version":2}\n\n',
    );
    expect(end.text).not.toContain('event: snapshot');
    const other = await readStream(kept.res, (t) => t.includes('id: 2'), 5000);
    expect(other.text).toContain('refetchEvaluation');
    expect(await adminMetrics()).toContain('evaluator_sse_clients 1');
    expect(await adminMetrics()).toContain('evaluator_sse_revoked_total 1');
    // Reconnecting with the revoked key: 401.
    expect((await openStream('key-prod')).res.status).toBe(401);
  });
});

describe('the admin listener', () => {
  it('POST /debug/gc runs a full collection when the process has gc, and is 404 otherwise (never on the public port)', async () => {
    await start({ environments: ['prod'] });
    const g = globalThis as { gc?: () => void };
    const had = g.gc;
    try {
      g.gc = undefined;
      expect((await fetch(`${server!.adminUrl}/debug/gc`, { method: 'POST' })).status).toBe(404);
      // The real collector, as --expose-gc gives it (V8's flag set at run time, read in a new context).
      setFlagsFromString('--expose-gc');
      g.gc = runInNewContext('gc') as () => void;
      const r = await fetch(`${server!.adminUrl}/debug/gc`, { method: 'POST' });
      expect(r.status).toBe(200);
      const { heapUsedBytes } = (await r.json()) as { heapUsedBytes: number };
      expect(heapUsedBytes).toBeGreaterThan(1_000_000);
      expect((await fetch(`${server!.url}/debug/gc`, { method: 'POST' })).status).not.toBe(200);
    } finally {
      g.gc = had;
    }
  });

  it('alone serves /metrics and the readiness detail; the public port answers 404 and a bare status', async () => {
    await start({ environments: ['prod'] });
    expect(server!.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server!.adminPort).not.toBe(server!.port);
    // Not ready yet: both say so; only the admin port names the environment.
    const publicBefore = await fetch(`${server!.url}/readyz`);
    expect(publicBefore.status).toBe(503);
    expect(await publicBefore.json()).toEqual({ ready: false });
    const adminBefore = await fetch(`${server!.adminUrl}/readyz`);
    expect(adminBefore.status).toBe(503);
    expect(await adminBefore.json()).toMatchObject({
      ready: false,
      environments: [{ environment: 'prod', loaded: false }],
    });

    await fx.publish(typesSnapshot('prod', 4), ['key-prod']);
    await waitFor(() => server!.store.isReady(), 5000, 'the snapshot');
    await fx.kill('prod', 'bool-flag', 4);
    await waitFor(() => server!.store.get('prod')!.killed.length === 1, 5000, 'the kill');
    const publicReady = await fetch(`${server!.url}/readyz`);
    expect(publicReady.status).toBe(200);
    const bare = await publicReady.text();
    expect(bare).toBe('{"ready":true}');
    const detail = (await (await fetch(`${server!.adminUrl}/readyz`)).json()) as any;
    expect(detail).toMatchObject({
      ready: true,
      redis: 'connected',
      environments: [{ environment: 'prod', loaded: true, version: 4, killedFlags: ['bool-flag'] }],
    });

    const publicMetrics = await fetch(`${server!.url}/metrics`);
    expect(publicMetrics.status).toBe(404);
    const publicText = await publicMetrics.text();
    expect(publicText).not.toContain('prod');
    expect(publicText).not.toContain('evaluator_');
    expect((await fetch(`${server!.url}/metrics`, { method: 'POST' })).status).toBe(404);
    const admin = await fetch(`${server!.adminUrl}/metrics`);
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain('evaluator_snapshot_version{environment="prod",source="redis"} 4');
    expect((await fetch(`${server!.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server!.adminUrl}/ofrep/v1/evaluate/flags`, { method: 'POST', body: '{}' })).status).toBe(
      404,
    );
    expect((await fetch(`${server!.url}/healthz`)).status).toBe(200);
  });
});
