/**
 * An evaluator in a far region (docs/regions.md): two real redis-server processes, a primary
 * (home) and a `replicaof` replica (far) joined through a link the test cuts and heals. The far
 * evaluator's follower reads the replica (REDIS_READ_URL); its served-version reports go to the
 * primary over the same link (REDIS_URL). Snapshots are published to the primary as the workers'
 * publisher does, and the heartbeat written there every 200 ms as the workers write it each second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '../../../../scripts/stack/redis-server.ts';
import { hashApiKey, redisKeys, type ChangeMessage, type SnapshotEnvelope } from '../../propagation/index.ts';
import { resolveEvaluatorConfig } from '../config.ts';
import { createEvaluatorServer, type EvaluatorServer } from '../evaluator-server.ts';
import { silentLogger } from '../logger.ts';
import { tempDataDir, typesSnapshot, waitFor } from '../test-support.ts';
import { attachRegion, followerConfig, type EvaluatorRegion } from './evaluator-region.ts';
import { startRegionLink, startReplicaRedis, type RegionLink, type ReplicaRedis } from './test-support/region-link.ts';

const prefix = 'fs-regions-test:';
const keys = redisKeys(prefix);
const ENV = 'prod';

let primary: PrivateRedis;
let replication: RegionLink;
let commands: RegionLink;
let replica: ReplicaRedis;
let home: Redis;
let heartbeat: NodeJS.Timeout;
let server: EvaluatorServer;
let region: EvaluatorRegion;
let data: { dir: string; remove(): Promise<void> };

async function publish(version: number): Promise<void> {
  const envelope: SnapshotEnvelope = {
    snapshot: typesSnapshot(ENV, version, `v${version}`),
    sdkKeyHashes: [hashApiKey('key-prod')],
    publishedAt: Date.now(),
  };
  await home
    .multi()
    .set(keys.snapshot(ENV), JSON.stringify(envelope))
    .set(keys.version(ENV), String(version))
    .sadd(keys.environments, ENV)
    .del(keys.deltas(ENV))
    .exec();
  const message: ChangeMessage = { type: 'snapshot', environment: ENV, version, publishedAt: envelope.publishedAt };
  await home.publish(keys.changes, JSON.stringify(message));
}

async function served(): Promise<{ status: number; value?: unknown; version?: number }> {
  const res = await fetch(`${server.url}/ofrep/v1/evaluate/flags/string-flag`, {
    method: 'POST',
    headers: { authorization: 'Bearer key-prod' },
    body: '{"context":{"targetingKey":"u"}}',
  });
  const json = (await res.json()) as { value?: unknown; metadata?: { snapshotVersion?: number } };
  return { status: res.status, value: json.value, version: json.metadata?.snapshotVersion };
}

interface Readyz {
  status: number;
  body: {
    ready: boolean;
    region?: string;
    replication?: { staleness_ms: number | null; heartbeat_at: number | null; connected: boolean; stale: boolean };
  };
}

async function readyz(): Promise<Readyz> {
  const res = await fetch(`${server.adminUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as Readyz['body'] };
}

async function farReport(): Promise<{ version: number; at: number } | undefined> {
  const text = await home.hget(keys.served(ENV), region.reporter.field);
  return text === null ? undefined : (JSON.parse(text) as { version: number; at: number });
}

beforeAll(async () => {
  primary = await startPrivateRedis();
  home = new Redis(primary.url, { maxRetriesPerRequest: 1 });
  replication = await startRegionLink(primary.port, 5);
  commands = await startRegionLink(primary.port, 5);
  replica = await startReplicaRedis(replication.port, { replTimeoutS: 5 });
  const beat = () => void home.set(keys.heartbeat, JSON.stringify({ at: Date.now(), region: 'home' })).catch(() => {});
  beat();
  heartbeat = setInterval(beat, 200);
  await publish(1);
  data = await tempDataDir();
  const config = resolveEvaluatorConfig({
    port: 0,
    keyPrefix: prefix,
    dataDir: data.dir,
    redisUrl: `redis://127.0.0.1:${commands.port}`,
    redisReadUrl: replica.url,
    region: 'far',
    staleAfterMs: 1000,
    // No periodic version check: every change must arrive as a change message relayed by the replica
    // (after the heal, replayed from the replication backlog by a partial resync).
    versionCheckMs: 600_000,
    redisConnectTimeoutMs: 3000,
    reconnectBaseMs: 20,
    reconnectMaxMs: 200,
  });
  server = createEvaluatorServer(followerConfig(config), { logger: silentLogger });
  region = attachRegion(server, config, silentLogger);
  await server.start();
  region.start();
}, 60_000);

afterAll(async () => {
  clearInterval(heartbeat);
  await region?.close();
  await server?.close();
  await replica?.stop();
  await replication?.close();
  await commands?.close();
  home?.disconnect();
  await primary?.stop();
  await data?.remove();
});

describe('an evaluator in a far region', () => {
  it('reads the replica, serves a change made at home, and reports its version to the home Redis', async () => {
    expect(server.config.redisUrl).toBe(replica.url);
    await waitFor(async () => (await served()).version === 1, 10_000, 'version 1 served from the replica');
    await publish(2);
    // The follower's pub/sub works on the replica: the change arrives as a message relayed by it.
    await waitFor(async () => (await served()).version === 2, 5_000, 'version 2 in the far region');
    expect(await served()).toMatchObject({ status: 200, value: 'v2' });
    await waitFor(async () => (await farReport())?.version === 2, 5_000, 'the far report of version 2');
    await waitFor(async () => (await readyz()).body.replication?.stale === false, 5_000, 'fresh replication');
    const r = await readyz();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ready: true, region: 'far', replication: { connected: true, stale: false } });
    expect(r.body.replication!.staleness_ms).toBeLessThan(1000);
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^evaluator_replication_stale\{region="far"\} 0$/m);
    expect(metrics).toMatch(/^evaluator_replication_staleness_seconds\{region="far"\} [\d.]+$/m);
  });

  it('cut off, it keeps serving its last snapshot (never defaults), turns stale, and converges on heal', async () => {
    await replication.cut();
    await commands.cut();
    await publish(3); // at home only
    const before = (await readyz()).body.replication!.staleness_ms!;
    await waitFor(async () => (await readyz()).body.replication?.stale === true, 5_000, 'stale after the cut');
    for (let i = 0; i < 10; i++) {
      expect(await served()).toMatchObject({ status: 200, value: 'v2', version: 2 });
      await new Promise((r) => setTimeout(r, 100));
    }
    const cut = await readyz();
    expect(cut.status).toBe(200);
    expect(cut.body).toMatchObject({ ready: true, region: 'far', replication: { stale: true } });
    expect(cut.body.replication!.staleness_ms!).toBeGreaterThan(Math.max(before, 1000));
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^evaluator_replication_stale\{region="far"\} 1$/m);
    // The home Redis hears nothing new from the far region: a rollout waiting for it holds.
    const report = await farReport();
    expect(report?.version).toBe(2);
    expect(Date.now() - report!.at).toBeGreaterThan(1000);

    await replication.heal();
    await commands.heal();
    await waitFor(async () => (await served()).version === 3, 15_000, 'version 3 after the heal');
    expect(await served()).toMatchObject({ status: 200, value: 'v3' });
    await waitFor(async () => (await readyz()).body.replication?.stale === false, 10_000, 'fresh after the heal');
    await waitFor(async () => (await farReport())?.version === 3, 10_000, 'the far report of version 3');
  }, 60_000);
});
