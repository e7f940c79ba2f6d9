/**
 * OFREP over HTTP against a real server backed by the real Redis: every flag type, every error
 * code, ETag/304, hostile input, SDK key scoping, readiness, metrics (on the admin listener), the
 * snapshot endpoint and the SSE stream. Admission (slow bodies, shedding, stream caps) is in
 * admission.int.test.ts.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluatorConfig } from './config.ts';
import { createEvaluatorServer, type EvaluatorServer } from './evaluator-server.ts';
import { silentLogger } from './logger.ts';
import { redisFixture, tempDataDir, typesSnapshot, waitFor, type RedisFixture } from './test-support.ts';

let fx: RedisFixture;
let data: { dir: string; remove(): Promise<void> };
let server: EvaluatorServer | undefined;

beforeEach(async () => {
  fx = await redisFixture();
  data = await tempDataDir();
});
afterEach(async () => {
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

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: 'Bearer key-prod' },
) {
  const res = await fetch(server!.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text.length > 0 ? JSON.parse(text) : undefined };
}

const single = (key: string, context: unknown = { targetingKey: 'user-1' }, headers?: Record<string, string>) =>
  post(`/ofrep/v1/evaluate/flags/${key}`, { context }, headers);

describe('OFREP single-flag evaluation', () => {
  beforeEach(async () => {
    await fx.publish(typesSnapshot('prod', 3), ['key-prod']);
    await start();
  });

  it('serves each flag type with key, value, reason, variant and metadata', async () => {
    const cases: Array<[string, unknown, string, string]> = [
      ['bool-flag', true, 'on', 'STATIC'],
      ['string-flag', 'on', 'on', 'STATIC'],
      ['number-flag', 1.5, 'one', 'STATIC'],
      ['object-flag', { color: 'red', n: [1, 2] }, 'a', 'STATIC'],
      ['off-flag', 'C', 'control', 'DISABLED'],
    ];
    for (const [key, value, variant, reason] of cases) {
      const r = await single(key);
      expect(r.status, key).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.json).toEqual({
        key,
        value,
        variant,
        reason,
        metadata: { snapshotVersion: 3, flagVersion: 1, environment: 'prod' },
      });
    }
    expect((await single('rules-flag', { targetingKey: 'u', country: 'NL' })).json).toMatchObject({
      value: 'T',
      reason: 'TARGETING_MATCH',
    });
    expect((await single('rules-flag', { targetingKey: 'u', country: 'DE' })).json).toMatchObject({
      value: 'C',
      reason: 'DEFAULT',
    });
    expect((await single('split-flag')).json.reason).toBe('SPLIT');
  });

  it('answers every error code with the OFREP error shape and the status from the one table', async () => {
    const expectError = (r: Awaited<ReturnType<typeof single>>, status: number, key: string, errorCode: string) => {
      expect(r.status).toBe(status);
      expect(r.json).toEqual({ key, errorCode, errorDetails: expect.any(String) });
    };
    expectError(await single('no-such-flag'), 404, 'no-such-flag', 'FLAG_NOT_FOUND');
    expectError(
      await post('/ofrep/v1/evaluate/flags/bool-flag?type=string', { context: { targetingKey: 'u' } }),
      400,
      'bool-flag',
      'TYPE_MISMATCH',
    );
    expectError(await single('split-flag', {}), 400, 'split-flag', 'TARGETING_KEY_MISSING');
    expectError(await post('/ofrep/v1/evaluate/flags/bool-flag', '{"context": {'), 400, 'bool-flag', 'PARSE_ERROR');
    expectError(await single('bool-flag', 'not-an-object'), 400, 'bool-flag', 'INVALID_CONTEXT');
    expectError(await single('cycle-a'), 500, 'cycle-a', 'GENERAL');
    // a type check that agrees is no error
    expect((await post('/ofrep/v1/evaluate/flags/bool-flag?type=boolean', { context: {} })).status).toBe(200);
  });

  it('decodes percent-encoded flag keys', async () => {
    expect((await single('bool%2Dflag')).json.key).toBe('bool-flag');
  });
});

describe('OFREP bulk evaluation', () => {
  beforeEach(async () => {
    await fx.publish(typesSnapshot('prod', 3), ['key-prod']);
    await start();
  });

  it('evaluates every flag, errors as {key, errorCode, errorDetails} entries, with an ETag and eventStreams', async () => {
    const r = await post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'user-1', country: 'NL' } });
    expect(r.status).toBe(200);
    const flags = r.json.flags as Array<Record<string, unknown>>;
    expect(flags.map((f) => f.key)).toEqual([
      'bool-flag',
      'cycle-a',
      'cycle-b',
      'number-flag',
      'object-flag',
      'off-flag',
      'rules-flag',
      'split-flag',
      'string-flag',
    ]);
    expect(flags.find((f) => f.key === 'object-flag')).toMatchObject({
      value: { color: 'red', n: [1, 2] },
      variant: 'a',
    });
    expect(flags.find((f) => f.key === 'cycle-a')).toEqual({
      key: 'cycle-a',
      errorCode: 'GENERAL',
      errorDetails: expect.any(String),
    });
    expect(r.headers.get('etag')).toMatch(/^"[0-9a-f]{16}"$/);
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(r.text));
    expect(r.json.eventStreams).toEqual([
      { type: 'sse', url: `${server!.url}/ofrep/v1/stream`, inactivityDelaySec: 120 },
    ]);
    // A context without a targetingKey: the split needs one.
    const noKey = await post('/ofrep/v1/evaluate/flags', { context: {} });
    expect(noKey.json.flags.find((f: { key: string }) => f.key === 'split-flag')).toMatchObject({
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });

  it('answers 304 to a matching If-None-Match, and 200 with a new ETag when the results change', async () => {
    const body = { context: { targetingKey: 'user-1', country: 'NL' } };
    const first = await post('/ofrep/v1/evaluate/flags', body);
    const etag = first.headers.get('etag')!;
    const again = await post('/ofrep/v1/evaluate/flags', body, {
      authorization: 'Bearer key-prod',
      'if-none-match': etag,
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    // Same snapshot, other context with other results: not modified is wrong.
    const other = await post(
      '/ofrep/v1/evaluate/flags',
      { context: { targetingKey: 'user-1', country: 'DE' } },
      { authorization: 'Bearer key-prod', 'if-none-match': etag },
    );
    expect(other.status).toBe(200);
    // New snapshot with a changed value: a new ETag.
    await fx.publish(typesSnapshot('prod', 4, 'changed'), ['key-prod']);
    await waitFor(() => server!.store.get('prod')?.version === 4);
    const changed = await post('/ofrep/v1/evaluate/flags', body, {
      authorization: 'Bearer key-prod',
      'if-none-match': etag,
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('reports request-level errors without a key', async () => {
    const r = await post('/ofrep/v1/evaluate/flags', '[1,2');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ errorCode: 'PARSE_ERROR', errorDetails: expect.any(String) });
    const noContext = await post('/ofrep/v1/evaluate/flags', {});
    expect(noContext.json).toEqual({ errorCode: 'INVALID_CONTEXT', errorDetails: expect.any(String) });
  });
});

/** A raw HTTP POST that streams `size` bytes chunked (no Content-Length). */
function chunkedPost(url: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/ofrep/v1/evaluate/flags/bool-flag`,
      {
        method: 'POST',
        headers: { authorization: 'Bearer key-prod', 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let sent = 0;
    req.write('{"context":{"big":"');
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end('"}}');
    };
    pump();
  });
}

describe('hostile input', () => {
  beforeEach(async () => {
    await fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    await start();
  });

  it('answers each with the OFREP error shape, never a 5xx, and keeps serving', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['malformed JSON', '{"context": {"targetingKey": "u"', 400, 'PARSE_ERROR'],
      ['empty body', '', 400, 'PARSE_ERROR'],
      ['missing context', { ctx: {} }, 400, 'INVALID_CONTEXT'],
      ['context is an array', { context: [1] }, 400, 'INVALID_CONTEXT'],
      ['context is null', { context: null }, 400, 'INVALID_CONTEXT'],
      ['numeric targetingKey', { context: { targetingKey: 42 } }, 400, 'INVALID_CONTEXT'],
      ['object targetingKey', { context: { targetingKey: { id: 1 } } }, 400, 'INVALID_CONTEXT'],
      ['body is an array', [], 400, 'INVALID_CONTEXT'],
      ['10,000-deep context', `{"context":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`, 400, 'INVALID_CONTEXT'],
      ['10,000-deep objects', `{"context":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`, 400, 'INVALID_CONTEXT'],
      ['1 MB body', { context: { targetingKey: 'u', big: 'x'.repeat(1 << 20) } }, 413, 'PARSE_ERROR'],
      [
        'brackets inside strings do not count as depth',
        { context: { targetingKey: 'u', s: '['.repeat(100) } },
        200,
        '',
      ],
    ];
    for (const [name, body, status, errorCode] of cases) {
      const r = await post('/ofrep/v1/evaluate/flags/bool-flag', body);
      expect(r.status, name).toBe(status);
      if (errorCode !== '')
        expect(r.json, name).toEqual({ key: 'bool-flag', errorCode, errorDetails: expect.any(String) });
      const ok = await single('bool-flag');
      expect(ok.status, `still serving after ${name}`).toBe(200);
    }
  });

  it('stops reading a 1 MB chunked body (no Content-Length) and answers 413', async () => {
    const r = await chunkedPost(server!.url, 1 << 20);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ key: 'bool-flag', errorCode: 'PARSE_ERROR' });
    expect((await single('bool-flag')).status).toBe(200);
  });

  it('answers a garbage request line with 400 and keeps serving', async () => {
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(server!.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await single('bool-flag')).status).toBe(200);
  });
});

describe('SDK keys', () => {
  beforeEach(async () => {
    await fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    const staging = typesSnapshot('staging', 7, 'staging-value');
    staging.flags['staging-only'] = { ...staging.flags['bool-flag']!, key: 'staging-only' };
    await fx.publish(staging, ['key-staging']);
    await start();
  });

  it('requires a known key, via Bearer or X-API-Key', async () => {
    expect((await single('bool-flag', {}, {})).status).toBe(401);
    expect((await single('bool-flag', {}, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await single('bool-flag', {}, { authorization: 'Basic a2V5LXByb2Q=' })).status).toBe(401);
    expect((await single('bool-flag', {}, { 'x-api-key': 'key-prod' })).status).toBe(200);
  });

  it('scopes each key to its own environment', async () => {
    expect((await single('string-flag', {}, { authorization: 'Bearer key-prod' })).json).toMatchObject({
      value: 'on',
      metadata: { environment: 'prod' },
    });
    expect((await single('string-flag', {}, { authorization: 'Bearer key-staging' })).json).toMatchObject({
      value: 'staging-value',
      metadata: { environment: 'staging' },
    });
    // prod's key cannot see staging's flags, nor staging's snapshot
    expect((await single('staging-only', {}, { authorization: 'Bearer key-prod' })).status).toBe(404);
    const bulk = await post('/ofrep/v1/evaluate/flags', { context: {} }, { authorization: 'Bearer key-prod' });
    expect(bulk.json.flags.map((f: { key: string }) => f.key)).not.toContain('staging-only');
    const snap = await fetch(`${server!.url}/v1/snapshot?environment=staging`, {
      headers: { authorization: 'Bearer key-prod' },
    });
    expect(snap.status).toBe(403);
    const own = await fetch(`${server!.url}/v1/snapshot`, { headers: { authorization: 'Bearer key-staging' } });
    expect(((await own.json()) as any).environment).toBe('staging');
  });

  it('drops a revoked key at the next snapshot', async () => {
    expect((await single('bool-flag', {}, { authorization: 'Bearer key-prod' })).status).toBe(200);
    await fx.publish(typesSnapshot('prod', 2), ['key-prod-2']);
    await waitFor(() => server!.store.get('prod')?.version === 2);
    expect((await single('bool-flag', {}, { authorization: 'Bearer key-prod' })).status).toBe(401);
    expect((await single('bool-flag', {}, { authorization: 'Bearer key-prod-2' })).status).toBe(200);
  });
});

describe('operations endpoints', () => {
  it('/readyz is 503 until every configured environment has a snapshot, then lists version and age', async () => {
    await start({ environments: ['prod'] });
    // The detail is on the admin listener (the public port answers a bare status: admission.int.test.ts).
    const before = await fetch(`${server!.adminUrl}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ ready: false, environments: [{ environment: 'prod', loaded: false }] });
    expect((await fetch(`${server!.url}/healthz`)).status).toBe(200);
    // No snapshot yet: a key cannot be resolved; that is "not ready", not "unauthorized".
    const early = await single('bool-flag');
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    await fx.publish(typesSnapshot('prod', 5), ['key-prod']);
    await waitFor(async () => (await fetch(`${server!.url}/readyz`)).status === 200);
    const after = (await (await fetch(`${server!.adminUrl}/readyz`)).json()) as any;
    expect(after).toMatchObject({
      ready: true,
      redis: 'connected',
      environments: [{ environment: 'prod', loaded: true, version: 5, source: 'redis' }],
    });
    expect(after.environments[0].ageSeconds).toBeGreaterThanOrEqual(0);
  });

  it('/metrics exposes evaluations, exposures, latency, snapshot version and age, SSE clients and propagation lag', async () => {
    // bool-flag is marked trackExposures (as the publisher marks a flag under rollout): counted per
    // variant; every other flag only in the per-reason aggregate.
    const tracked = (version: number) => {
      const snapshot = typesSnapshot('prod', version);
      snapshot.flags['bool-flag']!.trackExposures = true;
      return snapshot;
    };
    await fx.publish(tracked(2), ['key-prod']);
    await start();
    await single('bool-flag');
    await single('bool-flag');
    await single('no-such-flag');
    const bulk = (await post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u' } })).json as {
      flags: Array<{ key: string; reason?: string; errorCode?: string }>;
    };
    await fx.publish(tracked(3), ['key-prod']);
    await waitFor(() => server!.store.get('prod')?.version === 3);
    await single('bool-flag');
    const text = await (await fetch(`${server!.adminUrl}/metrics`)).text();
    // 2 evaluations on v2 + 1 bulk (v2) + 1 on v3: counts survive the swap
    expect(text).toContain('evaluator_exposures_total{environment="prod",flag="bool-flag",variant="on"} 4');
    expect(text.split('\n').filter((l) => l.startsWith('evaluator_exposures_total{'))).toHaveLength(1);
    // The aggregate: one series per reason seen, no flag or variant label, every evaluation in it.
    const aggregate = text.split('\n').filter((l) => l.startsWith('evaluator_evaluations_total{'));
    const expected = new Map<string, number>([['ERROR:FLAG_NOT_FOUND', 1]]);
    const add = (reason: string) => expected.set(reason, (expected.get(reason) ?? 0) + 1);
    ['STATIC', 'STATIC', 'STATIC'].forEach(add); // the three single bool-flag evaluations
    for (const f of bulk.flags) add(f.errorCode ? `ERROR:${f.errorCode}` : f.reason!);
    expect(expected.get('ERROR:GENERAL')).toBeGreaterThan(0); // the bulk's cycle flags
    expect(aggregate.sort()).toEqual(
      [...expected]
        .map(([reason, n]) => `evaluator_evaluations_total{environment="prod",reason="${reason}"} ${n}`)
        .sort(),
    );
    expect(text).toMatch(/evaluator_http_request_duration_seconds_count\{route="ofrep_single",status="200"\} 3/);
    expect(text).toMatch(/evaluator_http_request_duration_seconds_count\{route="ofrep_bulk",status="200"\} 1/);
    expect(text).toContain('evaluator_snapshot_version{environment="prod",source="redis"} 3');
    expect(text).toMatch(/evaluator_snapshot_age_seconds\{environment="prod"\} \d/);
    expect(text).toContain('evaluator_sse_clients 0');
    expect(text).toMatch(/evaluator_propagation_lag_seconds_count\{environment="prod"\} 2/);
    // a second scrape does not double count
    const again = await (await fetch(`${server!.adminUrl}/metrics`)).text();
    expect(again).toContain('evaluator_exposures_total{environment="prod",flag="bool-flag",variant="on"} 4');
    expect(
      again
        .split('\n')
        .filter((l) => l.startsWith('evaluator_evaluations_total{'))
        .sort(),
    ).toEqual(aggregate);
  });

  it('/v1/snapshot serves the snapshot with ETag "<version>" and 304', async () => {
    await fx.publish(typesSnapshot('prod', 9), ['key-prod']);
    await start();
    const auth = { authorization: 'Bearer key-prod' };
    const r = await fetch(`${server!.url}/v1/snapshot`, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe('"9"');
    expect(((await r.json()) as any).version).toBe(9);
    expect((await fetch(`${server!.url}/v1/snapshot`, { headers: { ...auth, 'if-none-match': '"9"' } })).status).toBe(
      304,
    );
    expect((await fetch(`${server!.url}/v1/snapshot`, { headers: { ...auth, 'if-none-match': '"8"' } })).status).toBe(
      200,
    );
    expect((await fetch(`${server!.url}/v1/snapshot`)).status).toBe(401);
  });

  it('/v1/stream sends the current version, then an event on every swap', async () => {
    await fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    await start();
    const controller = new AbortController();
    const res = await fetch(`${server!.url}/v1/stream`, {
      headers: { authorization: 'Bearer key-prod' },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += Buffer.from(value).toString();
      }
    };
    await readUntil('"version":1');
    expect(text).toContain('event: snapshot\ndata: {"version":1');
    await waitFor(async () =>
      (await (await fetch(`${server!.adminUrl}/metrics`)).text()).includes('evaluator_sse_clients 1'),
    );
    await fx.publish(typesSnapshot('prod', 2), ['key-prod']);
    await readUntil('"version":2');
    controller.abort();
  });

  it('/v1/stream?include=snapshot carries the snapshot in change events, up to the inline limit', async () => {
    await fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    await start();
    const open = async (query: string) => {
      const controller = new AbortController();
      const res = await fetch(`${server!.url}/v1/stream${query}`, {
        headers: { authorization: 'Bearer key-prod' },
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      return {
        controller,
        /** The `data:` of the first snapshot event whose id is `version`. */
        async event(version: number): Promise<{ version: number; etag: string; snapshot?: { version: number } }> {
          const mark = `id: ${version}\nevent: snapshot\ndata: `;
          while (!text.includes(mark) || !text.slice(text.indexOf(mark)).includes('\n\n')) {
            const { value, done } = await reader.read();
            if (done) throw new Error('stream ended');
            text += Buffer.from(value).toString();
          }
          const from = text.indexOf(mark) + mark.length;
          return JSON.parse(text.slice(from, text.indexOf('\n\n', from))) as never;
        },
      };
    };
    const inline = await open('?include=snapshot');
    const plain = await open('');
    // The first event names the version only: the SDK's conditional fetch on open confirms it.
    expect((await inline.event(1)).snapshot).toBeUndefined();
    await waitFor(async () =>
      (await (await fetch(`${server!.adminUrl}/metrics`)).text()).includes('evaluator_sse_clients 2'),
    );
    await fx.publish(typesSnapshot('prod', 2), ['key-prod']);
    const change = await inline.event(2);
    expect(change.etag).toBe('"2"');
    // Exactly the body /v1/snapshot answers with.
    const fetched = await fetch(`${server!.url}/v1/snapshot`, { headers: { authorization: 'Bearer key-prod' } });
    expect(change.snapshot).toEqual(await fetched.json());
    expect(change.snapshot!.version).toBe(2);
    expect((await plain.event(2)).snapshot).toBeUndefined();
    inline.controller.abort();
    plain.controller.abort();

    // Over the limit, the event names the ETag only and the SDK fetches.
    await server!.close();
    server = undefined;
    await start({ sseInlineMaxBytes: 64 });
    const small = await open('?include=snapshot');
    await small.event(2);
    await waitFor(async () =>
      (await (await fetch(`${server!.adminUrl}/metrics`)).text()).includes('evaluator_sse_clients 1'),
    );
    await fx.publish(typesSnapshot('prod', 3), ['key-prod']);
    const big = await small.event(3);
    expect(big).toEqual({ version: 3, etag: '"3"' });
    small.controller.abort();
  });

  it('/ofrep/v1/stream (the advertised eventStream) sends refetchEvaluation on a swap', async () => {
    await fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    await start();
    const controller = new AbortController();
    const res = await fetch(`${server!.url}/ofrep/v1/stream`, {
      headers: { authorization: 'Bearer key-prod' },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    await fx.publish(typesSnapshot('prod', 2), ['key-prod']);
    while (!text.includes('id: 2')) text += Buffer.from((await reader.read()).value).toString();
    expect(text).toMatch(/event: message\ndata: \{"type":"refetchEvaluation","etag":"\\"2\\"","lastModified":\d+\}/);
    controller.abort();
  });
});
