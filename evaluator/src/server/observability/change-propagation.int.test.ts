/**
 * Commit -> served propagation (issue 14, the propagation SLO in docs/slo.md): an evaluator
 * following the real Redis observes `evaluator_change_propagation_seconds` from the envelope's
 * `committedAt` when it swaps a snapshot in, and still serves an envelope without the field (one
 * written by a publisher from before), observing nothing for it.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChangeMessage, SnapshotEnvelope } from '../../propagation/protocol.ts';
import { hashApiKey } from '../../propagation/api-key-hash.ts';
import { createEvaluatorServer, type EvaluatorServer } from '../evaluator-server.ts';
import { silentLogger } from '../logger.ts';
import { redisFixture, tempDataDir, typesSnapshot, waitFor, type RedisFixture } from '../test-support.ts';

let fx: RedisFixture;
let data: { dir: string; remove(): Promise<void> };
let server: EvaluatorServer | undefined;

beforeEach(async () => {
  fx = await redisFixture();
  data = await tempDataDir();
});
afterEach(async () => {
  await server?.close();
  await fx.cleanup();
  await data.remove();
});

/** Stores and announces a snapshot as the publisher does, with or without `committedAt`. */
async function publish(version: number, committedAt?: number): Promise<void> {
  const snapshot = typesSnapshot('prod', version, `v${version}`);
  const publishedAt = Date.now();
  const envelope: SnapshotEnvelope = {
    snapshot,
    sdkKeyHashes: [hashApiKey('key-prod')],
    publishedAt,
    ...(committedAt === undefined ? {} : { committedAt }),
  };
  await fx.redis
    .multi()
    .set(fx.keys.snapshot('prod'), JSON.stringify(envelope))
    .set(fx.keys.version('prod'), String(version))
    .sadd(fx.keys.environments, 'prod')
    .exec();
  const message: ChangeMessage = { type: 'snapshot', environment: 'prod', version, publishedAt };
  await fx.redis.publish(fx.keys.changes, JSON.stringify(message));
}

async function scrape(name: string): Promise<number | undefined> {
  const text = await (await fetch(`${server!.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function servedVersion(): Promise<number | undefined> {
  const res = await fetch(`${server!.url}/ofrep/v1/evaluate/flags/string-flag`, {
    method: 'POST',
    headers: { authorization: 'Bearer key-prod' },
    body: '{"context":{"targetingKey":"u"}}',
  });
  return ((await res.json()) as { metadata?: { snapshotVersion?: number } }).metadata?.snapshotVersion;
}

it('observes commit -> served from committedAt, and serves an envelope without it', async () => {
  await publish(1); // no committedAt: the evaluator starts on it and observes nothing
  server = createEvaluatorServer(
    { port: 0, keyPrefix: fx.prefix, dataDir: data.dir, versionCheckMs: 60_000 },
    { logger: silentLogger },
  );
  await server.start();
  expect(await servedVersion()).toBe(1);
  const count = 'evaluator_change_propagation_seconds_count{environment="prod"}';
  expect(await scrape(count)).toBeUndefined();

  // Committed 1.5 s ago (the publisher was slow): one observation, over the SLO's 1 s bucket.
  await publish(2, Date.now() - 1_500);
  await waitFor(async () => (await servedVersion()) === 2);
  expect(await scrape(count)).toBe(1);
  expect(await scrape('evaluator_change_propagation_seconds_bucket{le="1",environment="prod"}')).toBe(0);
  expect(await scrape('evaluator_change_propagation_seconds_bucket{le="2.5",environment="prod"}')).toBe(1);

  // Committed just now: within 1 s.
  await publish(3, Date.now());
  await waitFor(async () => (await servedVersion()) === 3);
  expect(await scrape(count)).toBe(2);
  expect(await scrape('evaluator_change_propagation_seconds_bucket{le="1",environment="prod"}')).toBe(1);

  // A newer envelope without the field is still served, and observes nothing.
  await publish(4);
  await waitFor(async () => (await servedVersion()) === 4);
  expect(await scrape(count)).toBe(2);
});
