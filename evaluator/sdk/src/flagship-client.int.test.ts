/**
 * The SDK against a real evaluator fleet: two evaluator servers (`@flagship/evaluator/server`)
 * following the real Redis, each test under its own key prefix. A change reaches the SDK; with
 * both evaluators stopped it keeps serving and reports STALE, then recovers when one is back; it
 * starts and serves from its last-known-good file with no evaluator; the golden vectors give the
 * same answers through the SDK as over the evaluators' OFREP; the OpenFeature provider's events.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFeature, ProviderEvents, type EventDetails } from '@openfeature/server-sdk';
import type { FlagType, Snapshot } from '@flagship/evaluator';
import { createEvaluatorServer, silentLogger, type EvaluatorServer } from '@flagship/evaluator/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import evaluation from '../../test-vectors/evaluation.json' with { type: 'json' };
import { redisFixture, typesSnapshot, waitFor, type RedisFixture } from '../../src/server/test-support.ts';
import { freePort } from '../../../scripts/stack/redis-server.ts';
import { FlagshipClient, type FlagshipClientOptions } from './index.ts';
import { FlagshipProvider } from './openfeature.ts';

const KEY = 'key-prod';
let fx: RedisFixture;
let dir: string;
let ports: number[];
const servers = new Map<number, EvaluatorServer>();
const clients: FlagshipClient[] = [];

beforeEach(async () => {
  fx = await redisFixture();
  dir = await mkdtemp(join(tmpdir(), 'sdk-test-'));
  ports = [await freePort(), await freePort()];
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.values()) await s.close();
  servers.clear();
  await fx.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function startEvaluator(port: number): Promise<EvaluatorServer> {
  const server = createEvaluatorServer(
    { port, adminPort: 0, keyPrefix: fx.prefix, dataDir: join(dir, `evaluator-${port}`), redisConnectTimeoutMs: 2000 },
    { logger: silentLogger },
  );
  await server.start();
  servers.set(port, server);
  return server;
}

async function stopEvaluator(port: number): Promise<void> {
  await servers.get(port)?.close();
  servers.delete(port);
}

function client(overrides: Partial<FlagshipClientOptions> = {}): FlagshipClient {
  const c = new FlagshipClient({
    evaluators: ports.map((p) => `http://127.0.0.1:${p}`),
    sdkKey: KEY,
    backoff: { initialMs: 50, maxMs: 200 },
    logger: { warn: () => undefined },
    ...overrides,
  });
  clients.push(c);
  return c;
}

describe('FlagshipClient against two evaluators', () => {
  beforeEach(async () => {
    await fx.publish(typesSnapshot('prod', 1, 'first'), [KEY]);
    for (const p of ports) await startEvaluator(p);
  });

  it('serves the snapshot, and a change reaches it with the changed flag keys', async () => {
    const c = client();
    expect(await c.waitForReady(5000)).toBe(true);
    expect(c.getStringValue('string-flag', 'default', { targetingKey: 'u' })).toBe('first');
    const changes: string[][] = [];
    c.on('changed', (e) => changes.push(e.flagKeys));
    const written = Date.now();
    await fx.publish(typesSnapshot('prod', 2, 'second'), [KEY]);
    await waitFor(() => c.getStringValue('string-flag', 'default', {}) === 'second', 5000, 'the change in the SDK');
    expect(Date.now() - written).toBeLessThan(5000);
    expect(c.version).toBe(2);
    expect(changes).toEqual([['string-flag']]);
    const details = c.getStringDetails('string-flag', 'default');
    expect(details).toMatchObject({
      value: 'second',
      variant: 'on',
      reason: 'STATIC',
      flagMetadata: { snapshotVersion: 2 },
    });
  });

  it('applies a change from the stream event itself, without fetching, and never goes back a version', async () => {
    // Every request this process makes over node:http, as the SDK makes them (no stand-in).
    const paths: string[] = [];
    const onRequest = (m: unknown) => paths.push((m as { request: { path: string } }).request.path);
    subscribe('http.client.request.start', onRequest);
    try {
      const c = client();
      expect(await c.waitForReady(5000)).toBe(true);
      await waitFor(() => paths.some((p) => p.startsWith('/v1/snapshot')), 2000, 'the fetch on open');
      // The stream's first event can land during the fetch on open and ask for one more (a 304).
      for (let n = -1, i = 0; n !== paths.length && i < 20; i++) {
        n = paths.length;
        await new Promise((r) => setTimeout(r, 150));
      }
      const before = paths.length;
      expect(paths.filter((p) => p.startsWith('/v1/stream'))).toEqual(['/v1/stream?include=snapshot']);
      await fx.publish(typesSnapshot('prod', 2, 'second'), [KEY]);
      await waitFor(() => c.version === 2, 5000, 'version 2 in the SDK');
      await fx.publish(typesSnapshot('prod', 3, 'third'), [KEY]);
      await waitFor(() => c.getStringValue('string-flag', 'default') === 'third', 5000, 'version 3 in the SDK');
      expect(paths.slice(before)).toEqual([]);
      // An evaluator answering an older version (it lags, or Redis was rolled back) is not followed.
      await stopEvaluator(ports[0]!);
      await stopEvaluator(ports[1]!);
      await fx.publish(typesSnapshot('prod', 1, 'first'), [KEY]);
      // A fresh evaluator (no disk copy of version 3, which it would refuse to go back from).
      await rm(join(dir, `evaluator-${ports[0]!}`), { recursive: true, force: true });
      await startEvaluator(ports[0]!);
      await waitFor(() => paths.slice(before).some((p) => p.startsWith('/v1/snapshot')), 5000, 'a refetch');
      await waitFor(() => c.status === 'READY', 5000, 'READY again');
      expect(c.version).toBe(3);
      expect(c.getStringValue('string-flag', 'default')).toBe('third');
    } finally {
      unsubscribe('http.client.request.start', onRequest);
    }
  });

  it('evaluation never throws: unknown flags, wrong types and bad contexts answer the code default with a code', () => {
    const c = client();
    return c.waitForReady(5000).then(() => {
      expect(c.getBooleanDetails('nope', true)).toMatchObject({
        value: true,
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
      });
      expect(c.getNumberDetails('string-flag', 7)).toMatchObject({ value: 7, errorCode: 'TYPE_MISMATCH' });
      expect(c.getStringValue('split-flag', 'd', {})).toBe('d');
      expect(c.getStringDetails('split-flag', 'd', {}).errorCode).toBe('TARGETING_KEY_MISSING');
      const hostile = {
        get targetingKey(): string {
          throw new Error('boom');
        },
      };
      expect(c.getStringDetails('split-flag', 'd', hostile)).toMatchObject({ value: 'd', errorCode: 'GENERAL' });
      expect(c.allFlags({ targetingKey: 'u' }).map((r) => r.key)).toContain('bool-flag');
    });
  });

  it('keeps serving and reports STALE with both evaluators stopped, then recovers when one is back', async () => {
    const c = client();
    expect(await c.waitForReady(5000)).toBe(true);
    const stale = new Promise<void>((resolve) => c.on('stale', () => resolve()));
    await stopEvaluator(ports[0]!);
    await stopEvaluator(ports[1]!);
    await stale;
    expect(c.status).toBe('STALE');
    expect(c.getStringValue('string-flag', 'default')).toBe('first');
    await fx.publish(typesSnapshot('prod', 3, 'third'), [KEY]);
    const ready = new Promise<void>((resolve) => c.on('ready', () => resolve()));
    await startEvaluator(ports[1]!);
    await ready;
    // The evaluator that came back loaded version 3 from Redis: the SDK fetched it on reconnecting.
    await waitFor(() => c.getStringValue('string-flag', 'default') === 'third', 5000, 'version 3 after recovery');
    expect(c.status).toBe('READY');
  });

  it('fails over to the other evaluator when the one it follows stops, without going STALE', async () => {
    const c = client();
    expect(await c.waitForReady(5000)).toBe(true);
    let stale = false;
    c.on('stale', () => (stale = true));
    await stopEvaluator(ports[0]!);
    await fx.publish(typesSnapshot('prod', 4, 'fourth'), [KEY]);
    await waitFor(
      () => c.getStringValue('string-flag', 'default') === 'fourth',
      5000,
      'the change through evaluator 2',
    );
    expect(stale).toBe(false);
  });

  it('writes the last-known-good file, and a client started from it serves with no evaluator reachable', async () => {
    const file = join(dir, 'lkg.json');
    const first = client({ lastKnownGoodFile: file });
    expect(await first.waitForReady(5000)).toBe(true);
    await waitFor(async () => (await readFile(file, 'utf8').catch(() => '')).includes('"version":1'), 5000, 'the file');
    await first.close();
    for (const p of ports) await stopEvaluator(p);

    const second = client({ lastKnownGoodFile: file });
    // Synchronously, right after construction: no evaluator was asked.
    expect(second.status).toBe('STALE');
    expect(second.getStringValue('string-flag', 'default')).toBe('first');
    expect(second.getBooleanValue('bool-flag', false)).toBe(true);
    expect(await second.waitForReady(300)).toBe(false);

    // With no file and no evaluator: the code default, PROVIDER_NOT_READY, then ERROR.
    const third = client();
    expect(third.getStringDetails('string-flag', 'default')).toMatchObject({
      value: 'default',
      errorCode: 'PROVIDER_NOT_READY',
    });
    await waitFor(() => third.status === 'ERROR', 5000, 'ERROR with nothing to serve');
  });

  it('a flag with failMode off serves its off variant from an unconfirmed file, live once an evaluator confirms', async () => {
    const snapshot = typesSnapshot('prod', 5, 'fifth');
    snapshot.flags['bool-flag']!.failMode = 'off';
    await fx.publish(snapshot, [KEY]);
    const file = join(dir, 'lkg-off.json');
    const first = client({ lastKnownGoodFile: file });
    await waitFor(() => first.version === 5, 5000, 'version 5');
    await waitFor(async () => (await readFile(file, 'utf8').catch(() => '')).includes('"version":5'), 5000, 'the file');
    await first.close();
    await stopEvaluator(ports[0]!);
    await stopEvaluator(ports[1]!);

    const second = client({ lastKnownGoodFile: file });
    expect(second.getBooleanDetails('bool-flag', true)).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DISABLED',
    });
    expect(second.getStringValue('string-flag', 'default')).toBe('fifth');
    await startEvaluator(ports[0]!);
    expect(await second.waitForReady(5000)).toBe(true);
    expect(second.getBooleanDetails('bool-flag', false)).toMatchObject({ value: true, reason: 'STATIC' });
  });
});

describe('parity with the evaluators', () => {
  it('the golden vectors through the SDK equal the evaluator OFREP answers', async () => {
    const snapshot = evaluation.snapshot as unknown as Snapshot;
    await fx.publish(snapshot, ['key-golden']);
    const server = await startEvaluator(ports[0]!);
    const c = client({ sdkKey: 'key-golden' });
    expect(await c.waitForReady(5000)).toBe(true);
    let compared = 0;
    for (const k of evaluation.cases) {
      const expectedType = (k as { expectedType?: FlagType }).expectedType;
      if (expectedType !== undefined) continue; // OFREP has no expected type: the engine's golden test covers these
      const type = snapshot.flags[k.flag]?.type ?? 'string';
      const sdk = detailsOf(c, k.flag, type, k.context);
      // A loaded machine can make the evaluator shed (429 while its event loop lags): ask again.
      let res: Response | undefined;
      for (let attempt = 0; attempt < 50 && (res === undefined || res.status === 429); attempt++) {
        if (res !== undefined) await new Promise((r) => setTimeout(r, 100));
        res = await fetch(`${server.url}/ofrep/v1/evaluate/flags/${encodeURIComponent(k.flag)}`, {
          method: 'POST',
          headers: { authorization: 'Bearer key-golden', 'content-type': 'application/json' },
          body: JSON.stringify({ context: k.context }),
        });
      }
      expect(res!.status, k.name).not.toBe(429);
      const ofrep = (await res!.json()) as Record<string, unknown>;
      if (ofrep.errorCode !== undefined) {
        expect({ reason: sdk.reason, errorCode: sdk.errorCode }, k.name).toEqual({
          reason: 'ERROR',
          errorCode: ofrep.errorCode,
        });
      } else {
        expect(
          { value: sdk.value, variant: sdk.variant, reason: sdk.reason, metadata: sdk.flagMetadata },
          k.name,
        ).toEqual({
          value: ofrep.value,
          variant: ofrep.variant,
          reason: ofrep.reason,
          metadata: ofrep.metadata,
        });
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });
});

function detailsOf(c: FlagshipClient, flag: string, type: FlagType, context: Record<string, unknown>) {
  switch (type) {
    case 'boolean':
      return c.getBooleanDetails(flag, false, context);
    case 'number':
      return c.getNumberDetails(flag, -1, context);
    case 'object':
      return c.getObjectDetails(flag, {}, context);
    default:
      return c.getStringDetails(flag, '', context);
  }
}

describe('the OpenFeature provider', () => {
  it('is READY, then reports CONFIGURATION_CHANGED with the keys, STALE, and READY again', async () => {
    await fx.publish(typesSnapshot('prod', 1, 'first'), [KEY]);
    for (const p of ports) await startEvaluator(p);
    const provider = new FlagshipProvider(client(), { initTimeoutMs: 5000 });
    const domain = `sdk-test-${fx.prefix}`;
    const events: string[] = [];
    const changed: Array<EventDetails | undefined> = [];
    const of = OpenFeature.getClient(domain);
    of.addHandler(ProviderEvents.ConfigurationChanged, (e) => {
      events.push('changed');
      changed.push(e);
    });
    of.addHandler(ProviderEvents.Stale, () => events.push('stale'));
    of.addHandler(ProviderEvents.Ready, () => events.push('ready'));
    try {
      await OpenFeature.setProviderAndWait(domain, provider);
      expect(of.providerStatus).toBe('READY');
      expect(await of.getStringValue('string-flag', 'default', { targetingKey: 'u' })).toBe('first');
      const details = await of.getNumberDetails('nope', 3);
      expect(details).toMatchObject({ value: 3, errorCode: 'FLAG_NOT_FOUND' });

      await fx.publish(typesSnapshot('prod', 2, 'second'), [KEY]);
      await waitFor(() => events.includes('changed'), 5000, 'CONFIGURATION_CHANGED');
      expect(changed[0]?.flagsChanged).toEqual(['string-flag']);
      expect(await of.getStringValue('string-flag', 'default')).toBe('second');

      for (const p of ports) await stopEvaluator(p);
      await waitFor(() => events.includes('stale'), 5000, 'STALE');
      expect(of.providerStatus).toBe('STALE');
      expect(await of.getStringValue('string-flag', 'default')).toBe('second');

      await startEvaluator(ports[0]!);
      await waitFor(() => events.filter((e) => e === 'ready').length >= 2, 5000, 'READY again');
      expect(of.providerStatus).toBe('READY');
    } finally {
      await OpenFeature.clearProviders();
    }
  });
});
