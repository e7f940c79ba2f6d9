/**
 * The snapshot store against the real Redis: swaps on published hints, single-flight fetches,
 * the periodic check healing a missed hint, monotone versions, emergency kills, last-known-good
 * on disk when Redis is down at start, and riding out a Redis outage mid-run (through a TCP proxy
 * the test cuts and restores; the shared Redis itself is never stopped).
 */
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvaluatorServer } from '../evaluator-server.ts';
import { useServerTestBed } from '../test-support/server-test-bed.ts';
import { typesSnapshot, waitFor } from '../test-support.ts';

const bed = useServerTestBed();
const start = (overrides?: Parameters<typeof bed.start>[0]) => bed.start(overrides);

async function served(
  server: EvaluatorServer,
  key = 'string-flag',
): Promise<{ status: number; value?: unknown; version?: number }> {
  const res = await fetch(`${server.url}/ofrep/v1/evaluate/flags/${key}`, {
    method: 'POST',
    headers: { authorization: 'Bearer key-prod' },
    body: '{"context":{"targetingKey":"u"}}',
  });
  const json = (await res.json()) as any;
  return {
    status: res.status,
    value: json.value,
    version: json.metadata?.snapshotVersion,
    ...(json.reason ? { reason: json.reason } : {}),
  };
}

describe('propagation from Redis', () => {
  it('swaps in a published snapshot', async () => {
    await bed.fx.publish(typesSnapshot('prod', 1, 'v1'), ['key-prod']);
    const server = await start();
    expect(await served(server)).toMatchObject({ value: 'v1', version: 1 });
    await bed.fx.publish(typesSnapshot('prod', 2, 'v2'), ['key-prod']);
    await waitFor(async () => (await served(server)).version === 2);
    expect(await served(server)).toMatchObject({ value: 'v2' });
  });

  it('fetches once for 100 hints of the same new version (single-flight)', async () => {
    await bed.fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    const server = await start();
    const before = server.store.stats.fetches;
    await bed.fx.publish(typesSnapshot('prod', 2), ['key-prod'], { notify: false });
    const hint = JSON.stringify({ type: 'snapshot', environment: 'prod', version: 2, publishedAt: Date.now() });
    const pipeline = bed.fx.redis.pipeline();
    for (let i = 0; i < 100; i++) pipeline.publish(bed.fx.keys.changes, hint);
    await pipeline.exec();
    await waitFor(() => server.store.get('prod')?.version === 2);
    await new Promise((r) => setTimeout(r, 200)); // let every hint arrive
    expect(server.store.stats.fetches - before).toBe(1);
  });

  it('heals a missed hint with the periodic version check', async () => {
    await bed.fx.publish(typesSnapshot('prod', 1, 'v1'), ['key-prod']);
    const server = await start({ versionCheckMs: 200 });
    await bed.fx.publish(typesSnapshot('prod', 2, 'v2'), ['key-prod'], { notify: false });
    await waitFor(async () => (await served(server)).version === 2, 3000, 'the periodic check');
    expect(server.store.stats.versionChecks).toBeGreaterThan(0);
  });

  it('never serves an older version after a newer one', async () => {
    await bed.fx.publish(typesSnapshot('prod', 5, 'v5'), ['key-prod']);
    const server = await start({ versionCheckMs: 50 });
    // An older envelope lands in Redis (e.g. a stale publisher), with a hint.
    await bed.fx.publish(typesSnapshot('prod', 3, 'v3'), ['key-prod']);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      seen.push((await served(server)).version!);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(new Set(seen)).toEqual(new Set([5]));
    // 200 rapid versions: what is served only ever goes up, and ends at the last one.
    const polling = (async () => {
      let last = 0;
      for (let i = 0; i < 200; i++) {
        const v = (await served(server)).version!;
        expect(v).toBeGreaterThanOrEqual(last);
        last = v;
      }
    })();
    for (let v = 6; v <= 205; v++) await bed.fx.publish(typesSnapshot('prod', v, `v${v}`), ['key-prod']);
    await polling;
    await waitFor(async () => (await served(server)).version === 205);
  });

  it('serves an emergency kill as DISABLED until a snapshot disables the flag itself', async () => {
    await bed.fx.publish(typesSnapshot('prod', 1), ['key-prod']);
    const server = await start();
    expect(await served(server, 'bool-flag')).toMatchObject({ value: true, reason: 'STATIC' });
    await bed.fx.kill('prod', 'bool-flag', 1);
    await waitFor(async () => (await served(server, 'bool-flag')).value === false);
    expect(await served(server, 'bool-flag')).toMatchObject({ value: false, reason: 'DISABLED', version: 1 });
    // A later snapshot that still has the flag enabled does NOT clear the kill.
    await bed.fx.publish(typesSnapshot('prod', 2), ['key-prod']);
    await waitFor(() => server.store.get('prod')?.version === 2);
    expect(await served(server, 'bool-flag')).toMatchObject({ value: false, reason: 'DISABLED', version: 2 });
    const snap = await fetch(`${server.url}/v1/snapshot`, { headers: { authorization: 'Bearer key-prod' } });
    expect(snap.headers.get('etag')).toMatch(/^"2-killed-/);
    expect(((await snap.json()) as any).flags['bool-flag'].enabled).toBe(false);
    // The publisher removes the entry once a snapshot has the flag disabled.
    const disabled = typesSnapshot('prod', 3);
    disabled.flags['bool-flag']!.enabled = false;
    await bed.fx.unkill('prod', 'bool-flag');
    await bed.fx.publish(disabled, ['key-prod']);
    await waitFor(() => server.store.get('prod')?.version === 3);
    expect(await served(server, 'bool-flag')).toMatchObject({ value: false, reason: 'DISABLED', version: 3 });
    expect(server.store.get('prod')!.killed).toEqual([]);
  });
});

describe('last-known-good and Redis outages', () => {
  it('starts from the disk copy when Redis is unreachable', async () => {
    await bed.fx.publish(typesSnapshot('prod', 4, 'from-redis'), ['key-prod']);
    const first = await start();
    await first.store.flushDisk();
    const saved = JSON.parse(await readFile(join(bed.dataDir, 'prod.json'), 'utf8'));
    expect(saved.envelope.snapshot.version).toBe(4);
    await bed.close(first);

    const offline = await start({
      redisUrl: 'redis://127.0.0.1:1',
      redisConnectTimeoutMs: 300,
      environments: ['prod'],
    });
    expect(await served(offline)).toMatchObject({ status: 200, value: 'from-redis', version: 4 });
    const ready = await (await fetch(`${offline.adminUrl}/readyz`)).json();
    expect(ready).toMatchObject({
      ready: true,
      redis: 'disconnected',
      environments: [{ environment: 'prod', version: 4, source: 'disk' }],
    });
  });

  it('with no disk copy and no Redis, is not ready and answers 503, never an empty config', async () => {
    const offline = await start({
      redisUrl: 'redis://127.0.0.1:1',
      redisConnectTimeoutMs: 200,
      environments: ['prod'],
    });
    expect((await fetch(`${offline.url}/readyz`)).status).toBe(503);
    expect((await served(offline)).status).toBe(503);
  });

  it('keeps serving through a Redis outage mid-run and catches up when it returns', async () => {
    const proxy = await tcpProxy(6379);
    try {
      await bed.fx.publish(typesSnapshot('prod', 1, 'v1'), ['key-prod']);
      const server = await start({ redisUrl: `redis://127.0.0.1:${proxy.port}`, versionCheckMs: 200 });
      expect(await served(server)).toMatchObject({ value: 'v1' });

      proxy.cut();
      await waitFor(() => !server.store.redisConnected, 3000, 'the disconnect');
      // Changes published while this evaluator cannot see Redis.
      await bed.fx.publish(typesSnapshot('prod', 2, 'v2'), ['key-prod']);
      await bed.fx.publish(typesSnapshot('prod', 3, 'v3'), ['key-prod']);
      for (let i = 0; i < 5; i++) {
        expect(await served(server)).toMatchObject({ status: 200, value: 'v1', version: 1 });
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(((await (await fetch(`${server.adminUrl}/readyz`)).json()) as any).redis).toBe('disconnected');

      proxy.restore();
      await waitFor(async () => (await served(server)).version === 3, 5000, 'the catch-up');
      expect(await served(server)).toMatchObject({ value: 'v3' });
      // and hints flow again after the reconnect (resubscribed)
      await bed.fx.publish(typesSnapshot('prod', 4, 'v4'), ['key-prod']);
      await waitFor(async () => (await served(server)).version === 4, 3000, 'a hint after reconnect');
    } finally {
      await proxy.close();
    }
  });
});

/** A TCP proxy to 127.0.0.1:`target` that the test can cut (drop and refuse connections) and restore. */
async function tcpProxy(
  target: number,
): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  let open = true;
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
