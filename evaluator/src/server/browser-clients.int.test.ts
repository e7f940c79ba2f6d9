/**
 * Browser clients against a real server backed by the real Redis (docs/api.md, "Browser
 * clients"): a client key evaluates over OFREP and reads nothing else, CORS per environment
 * (preflight, the real request's headers for an allowed and a disallowed origin, SDK keys get
 * none), the advertised event-stream URL (host, X-Forwarded-* only when trusted) and its stream
 * token (opens the stream from a browser-like request with no key; expired, tampered, revoked:
 * 401; never in a logged URL). The official web SDK in Chromium: browser-clients.browser.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../propagation/index.ts';
import { signStreamToken } from './auth/stream-token.ts';
import type { EvaluatorConfig } from './config.ts';
import { createEvaluatorServer, type EvaluatorServer } from './evaluator-server.ts';
import type { Logger } from './logger.ts';
import { redisFixture, tempDataDir, typesSnapshot, waitFor, type RedisFixture } from './test-support.ts';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';
const SECRET = randomBytes(32).toString('base64url');
const CLIENT = 'fsc_client-prod';
const SDK = 'fss_sdk-prod';

let fx: RedisFixture;
let data: { dir: string; remove(): Promise<void> };
let server: EvaluatorServer | undefined;
let logged: string[];

const logger: Logger = {
  info: (m, f) => logged.push(JSON.stringify({ m, ...f })),
  warn: (m, f) => logged.push(JSON.stringify({ m, ...f })),
  error: (m, f) => logged.push(JSON.stringify({ m, ...f })),
};

beforeEach(async () => {
  fx = await redisFixture();
  data = await tempDataDir();
  logged = [];
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await fx.cleanup();
  await data.remove();
});

async function publish(version: number, clients = { keyHashes: [hashApiKey(CLIENT)], allowedOrigins: [APP] }) {
  await fx.publish(typesSnapshot('prod', version), [SDK], { clients: { ...clients, streamSecret: SECRET } });
}

async function start(overrides: Partial<EvaluatorConfig> = {}): Promise<EvaluatorServer> {
  server = createEvaluatorServer(
    { port: 0, keyPrefix: fx.prefix, dataDir: data.dir, redisConnectTimeoutMs: 2000, ...overrides },
    { logger },
  );
  await server.start();
  return server;
}

function bulk(headers: Record<string, string>) {
  return fetch(`${server!.url}/ofrep/v1/evaluate/flags`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ context: { targetingKey: 'u1' } }),
  });
}

const cors = (res: Response) => ({
  allowOrigin: res.headers.get('access-control-allow-origin'),
  expose: res.headers.get('access-control-expose-headers'),
  vary: res.headers.get('vary'),
  credentials: res.headers.get('access-control-allow-credentials'),
});

/** Opens a stream, returns its status and, for a 200, the first bytes; always closes it. */
async function openStream(path: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(server!.url + path, { headers, signal: controller.signal });
  let first = '';
  if (res.status === 200) {
    const reader = res.body!.getReader();
    const chunk = await reader.read();
    first = Buffer.from(chunk.value ?? new Uint8Array()).toString();
  }
  controller.abort();
  return { status: res.status, headers: res.headers, first };
}

function advertisedUrl(json: unknown): URL {
  const body = json as { eventStreams?: { url: string }[] };
  expect(body.eventStreams).toHaveLength(1);
  return new URL(body.eventStreams![0]!.url);
}

describe('client keys', () => {
  beforeEach(async () => {
    await publish(1);
    await start();
  });

  it('evaluate single and bulk, and read neither the snapshot nor the snapshot stream (403)', async () => {
    const one = await fetch(`${server!.url}/ofrep/v1/evaluate/flags/bool-flag`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: '{"context":{"targetingKey":"u1"}}',
    });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ key: 'bool-flag', value: true });
    expect((await bulk({ 'x-api-key': CLIENT })).status).toBe(200);

    const snapshot = await fetch(`${server!.url}/v1/snapshot`, { headers: { authorization: `Bearer ${CLIENT}` } });
    expect(snapshot.status).toBe(403);
    const text = await snapshot.text();
    expect(text).toContain('client key');
    expect(text).not.toContain('salt');
    expect((await openStream('/v1/stream', { authorization: `Bearer ${CLIENT}` })).status).toBe(403);
    // The SDK key still reads both, and the snapshot it reads carries no browser-client secrets.
    const sdkSnapshot = await fetch(`${server!.url}/v1/snapshot`, { headers: { authorization: `Bearer ${SDK}` } });
    expect(sdkSnapshot.status).toBe(200);
    expect(await sdkSnapshot.text()).not.toContain(SECRET);
    expect((await openStream('/v1/stream', { authorization: `Bearer ${SDK}` })).status).toBe(200);
  });

  it('open the OFREP stream with the key header too', async () => {
    const s = await openStream('/ofrep/v1/stream', { authorization: `Bearer ${CLIENT}` });
    expect(s.status).toBe(200);
    expect(s.first).toContain('refetchEvaluation');
  });
});

describe('CORS on the OFREP routes', () => {
  beforeEach(async () => {
    await publish(1);
    await start();
  });

  it('answers a preflight from an allowed origin (no key needed), refuses another origin', async () => {
    const ok = await fetch(`${server!.url}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,if-none-match',
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('if-none-match');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(Number(ok.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const single = await fetch(`${server!.url}/ofrep/v1/evaluate/flags/bool-flag`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
    });
    expect(single.status).toBe(204);

    const evil = await fetch(`${server!.url}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const noOrigin = await fetch(`${server!.url}/ofrep/v1/evaluate/flags`, { method: 'OPTIONS' });
    expect(noOrigin.status).toBe(403);
  });

  it('allows the origin on a client key request of an allowing environment, with ETag exposed, on 200 and 304', async () => {
    const res = await bulk({ authorization: `Bearer ${CLIENT}`, origin: APP });
    expect(res.status).toBe(200);
    expect(cors(res)).toEqual({ allowOrigin: APP, expose: 'ETag', vary: 'Origin', credentials: null });
    const etag = res.headers.get('etag')!;
    const again = await bulk({ authorization: `Bearer ${CLIENT}`, origin: APP, 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(cors(again).allowOrigin).toBe(APP);
  });

  it('gives a disallowed origin, and an SDK key from any origin, no allow-origin', async () => {
    const evil = await bulk({ authorization: `Bearer ${CLIENT}`, origin: EVIL });
    expect(evil.status).toBe(200); // a browser reads none of it: no allow-origin
    expect(cors(evil)).toEqual({ allowOrigin: null, expose: null, vary: 'Origin', credentials: null });
    const sdk = await bulk({ authorization: `Bearer ${SDK}`, origin: APP });
    expect(cors(sdk).allowOrigin).toBeNull();
    // A server client (no Origin) sees no CORS headers at all.
    expect(cors(await bulk({ authorization: `Bearer ${CLIENT}` }))).toEqual({
      allowOrigin: null,
      expose: null,
      vary: null,
      credentials: null,
    });
  });

  it('lets an allowed page read a 401, and follows a republished origin list', async () => {
    const unknown = await bulk({ authorization: 'Bearer fsc_nope', origin: APP });
    expect(unknown.status).toBe(401);
    expect(cors(unknown).allowOrigin).toBe(APP);
    await publish(2, { keyHashes: [hashApiKey(CLIENT)], allowedOrigins: [EVIL] });
    await waitFor(
      async () => cors(await bulk({ authorization: `Bearer ${CLIENT}`, origin: EVIL })).allowOrigin === EVIL,
    );
    expect(cors(await bulk({ authorization: `Bearer ${CLIENT}`, origin: APP })).allowOrigin).toBeNull();
  });
});

describe('the advertised event stream and its token', () => {
  it('is at the host the client used, opens with no key from a browser origin, and is never logged', async () => {
    await publish(1);
    await start();
    const res = await bulk({ authorization: `Bearer ${CLIENT}`, origin: APP });
    const url = advertisedUrl(await res.json());
    expect(url.origin).toBe(server!.url);
    expect(url.pathname).toBe('/ofrep/v1/stream');
    const token = url.searchParams.get('token')!;
    expect(token.length).toBeGreaterThan(60);
    const s = await openStream(`${url.pathname}${url.search}`, { origin: APP });
    expect(s.status).toBe(200);
    expect(s.first).toContain('refetchEvaluation');
    expect(s.headers.get('access-control-allow-origin')).toBe(APP);
    const evil = await openStream(`${url.pathname}${url.search}`, { origin: EVIL });
    expect(evil.status).toBe(200);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // A token is for the stream only: it authenticates no evaluation and no snapshot.
    expect((await fetch(`${server!.url}/v1/snapshot?token=${token}`)).status).toBe(401);
    expect((await openStream(`/v1/stream?token=${token}`)).status).toBe(401);
    await publish(2);
    await waitFor(() => server!.store.get('prod')?.version === 2);
    expect(logged.join('\n')).not.toContain(token);
  });

  it('honours X-Forwarded-Proto and -Host only when the proxy is trusted', async () => {
    await publish(1);
    await start();
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'flags.example.com' };
    const untrusted = advertisedUrl(await (await bulk({ authorization: `Bearer ${CLIENT}`, ...forwarded })).json());
    expect(untrusted.origin).toBe(server!.url);
    await server!.close();
    await start({ trustProxy: true });
    const trusted = advertisedUrl(await (await bulk({ authorization: `Bearer ${CLIENT}`, ...forwarded })).json());
    expect(trusted.origin).toBe('https://flags.example.com');
  });

  it('refuses an expired, a tampered, another environment secret and a revoked key token with 401', async () => {
    await publish(1);
    await start();
    const keyHash = hashApiKey(CLIENT);
    const now = Math.floor(Date.now() / 1000);
    const good = signStreamToken(SECRET, { environment: 'prod', expiresAt: now + 60, keyHash });
    expect((await openStream(`/ofrep/v1/stream?token=${good}`)).status).toBe(200);
    const expired = signStreamToken(SECRET, { environment: 'prod', expiresAt: now - 5, keyHash });
    expect((await openStream(`/ofrep/v1/stream?token=${expired}`)).status).toBe(401);
    const tampered = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await openStream(`/ofrep/v1/stream?token=${tampered}`)).status).toBe(401);
    const moved = good.replace(`.${now + 60}.`, `.${now + 6000}.`);
    expect((await openStream(`/ofrep/v1/stream?token=${moved}`)).status).toBe(401);
    const foreign = signStreamToken(randomBytes(32).toString('base64url'), {
      environment: 'prod',
      expiresAt: now + 60,
      keyHash,
    });
    expect((await openStream(`/ofrep/v1/stream?token=${foreign}`)).status).toBe(401);
    expect((await openStream('/ofrep/v1/stream?token=garbage')).status).toBe(401);

    // Revoked: the next envelope no longer lists the key; its open stream ends, its tokens stop.
    const controller = new AbortController();
    const open = await fetch(`${server!.url}/ofrep/v1/stream?token=${good}`, { signal: controller.signal });
    const reader = open.body!.getReader();
    await reader.read();
    await publish(2, { keyHashes: [], allowedOrigins: [APP] });
    let rest = '';
    for (let i = 0; i < 20; i++) {
      const chunk = await reader.read();
      if (chunk.done) break;
      rest += Buffer.from(chunk.value).toString();
    }
    expect(rest).toContain('event: revoked');
    expect((await openStream(`/ofrep/v1/stream?token=${good}`)).status).toBe(401);
    expect((await bulk({ authorization: `Bearer ${CLIENT}` })).status).toBe(401);
    controller.abort();
  });

  it('is advertised without a token for an envelope from before (no clients), SDK keys as before', async () => {
    await fx.publish(typesSnapshot('prod', 1), [SDK]);
    await start();
    const res = await bulk({ authorization: `Bearer ${SDK}` });
    expect(advertisedUrl(await res.json()).search).toBe('');
    expect((await bulk({ authorization: `Bearer ${CLIENT}` })).status).toBe(401);
  });
});
