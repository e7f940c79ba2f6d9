/**
 * The SDK follows by deltas (docs/sdk.md, "Staying current"). Against a real evaluator following
 * the real Redis, with an environment of 300 flags: a one-flag change reaches the SDK as a delta
 * on the stream (no snapshot fetched), or, when the event cannot carry it, as the answer to
 * `?since=`; with an emergency kill applied the delta is the effective one; the SDK then answers
 * as the evaluator's OFREP does. Against a local HTTP server that
 * speaks the stream and snapshot endpoints (the real evaluator never sends a wrong base): a delta
 * onto the wrong base is refused and healed by a full fetch.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot, SnapshotDelta, SnapshotFlag } from '@flagship/evaluator';
import { createEvaluatorServer, silentLogger, type EvaluatorServer } from '@flagship/evaluator/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisFixture, waitFor, type RedisFixture } from '../../src/server/test-support.ts';
import { FlagshipClient, type FlagshipClientOptions } from './index.ts';

const KEY = 'key-prod';
const SALT = 'a3f1c2d4e5b60718293a4b5c6d7e8f90';
const FLAGS = 300;

/** Flag i: static, a rule on country, a 3-way split, or a segment rule, by i mod 4. */
function bigFlag(i: number, label = 'v1'): SnapshotFlag {
  const key = `flag-${String(i).padStart(3, '0')}`;
  const base: SnapshotFlag = {
    key,
    type: 'string',
    variants: { a: `${label}-a`, b: `${label}-b`, c: `${label}-c` },
    salt: SALT,
    version: 1,
    enabled: true,
    offVariant: 'a',
    prerequisites: [],
    targets: [],
    rules: [],
    defaultRule: { variant: 'b' },
  };
  switch (i % 4) {
    case 1:
      return {
        ...base,
        rules: [{ conditions: [{ attribute: 'country', op: 'in', values: ['NL'] }], serve: { variant: 'c' } }],
      };
    case 2:
      return {
        ...base,
        defaultRule: {
          split: [
            { variant: 'a', weight: 33_334 },
            { variant: 'b', weight: 33_333 },
            { variant: 'c', weight: 33_333 },
          ],
        },
      };
    case 3:
      return {
        ...base,
        rules: [{ conditions: [{ attribute: '', op: 'inSegment', values: ['beta'] }], serve: { variant: 'a' } }],
      };
    default:
      return base;
  }
}

function bigSnapshot(version: number): Snapshot {
  const flags = Array.from({ length: FLAGS }, (_, i) => bigFlag(i));
  return {
    environment: 'prod',
    version,
    flags: Object.fromEntries(flags.map((f) => [f.key, f])),
    segments: { beta: { key: 'beta', version: 1, included: ['user-3', 'user-7'], excluded: [], rules: [] } },
  };
}

const CONTEXTS = [
  { targetingKey: 'user-1', country: 'NL' },
  { targetingKey: 'user-3', country: 'DE' },
  { targetingKey: 'user-42' },
];

let fx: RedisFixture;
let dir: string;
const servers: EvaluatorServer[] = [];
const clients: FlagshipClient[] = [];

function client(evaluators: string[], overrides: Partial<FlagshipClientOptions> = {}): FlagshipClient {
  const c = new FlagshipClient({
    evaluators,
    sdkKey: KEY,
    backoff: { initialMs: 50, maxMs: 200 },
    logger: { warn: () => undefined },
    ...overrides,
  });
  clients.push(c);
  return c;
}

/** Every request this process makes over node:http (the SDK's own, no stand-in). */
function recordRequests(): { paths: string[]; stop: () => void } {
  const paths: string[] = [];
  const onRequest = (m: unknown) => paths.push((m as { request: { path: string } }).request.path);
  subscribe('http.client.request.start', onRequest);
  return { paths, stop: () => unsubscribe('http.client.request.start', onRequest) };
}

/** Waits until no new request was made for 300 ms (at most 3 s): the fetch on open settles. */
async function quiet(paths: string[]): Promise<void> {
  for (let n = -1, i = 0; n !== paths.length && i < 10; i++) {
    n = paths.length;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('the SDK and a real evaluator: deltas', () => {
  beforeEach(async () => {
    fx = await redisFixture();
    dir = await mkdtemp(join(tmpdir(), 'sdk-delta-test-'));
    await fx.publish(bigSnapshot(1), [KEY]);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const s of servers.splice(0)) await s.close();
    await fx.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(sseInlineMaxBytes?: number): Promise<EvaluatorServer> {
    const server = createEvaluatorServer(
      {
        port: 0,
        adminPort: 0,
        keyPrefix: fx.prefix,
        dataDir: join(dir, 'evaluator'),
        redisConnectTimeoutMs: 2000,
        ...(sseInlineMaxBytes === undefined ? {} : { sseInlineMaxBytes }),
      },
      { logger: silentLogger },
    );
    servers.push(server);
    await server.start();
    return server;
  }

  async function snapshotAnswers(server: EvaluatorServer): Promise<Record<string, number>> {
    const metric = server.metrics.registry.getSingleMetric('evaluator_snapshot_answers_total');
    const values = metric === undefined ? [] : (await metric.get()).values;
    return Object.fromEntries(values.map((v) => [String(v.labels.kind), v.value]));
  }

  /** The SDK's answers for every flag equal the evaluator's OFREP bulk answers, for each context. */
  async function expectSameAnswersAsOfrep(server: EvaluatorServer, c: FlagshipClient): Promise<void> {
    for (const context of CONTEXTS) {
      const res = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ context }),
      });
      expect(res.status).toBe(200);
      const ofrep = (
        (await res.json()) as { flags: Array<{ key: string; value: unknown; variant: string; reason: string }> }
      ).flags;
      expect(ofrep).toHaveLength(FLAGS);
      const sdk = ofrep.map((f) => {
        const d = c.getStringDetails(f.key, 'default', context);
        return { key: f.key, value: d.value, variant: d.variant, reason: d.reason };
      });
      expect(sdk).toEqual(ofrep.map((f) => ({ key: f.key, value: f.value, variant: f.variant, reason: f.reason })));
    }
  }

  const oneFlagChange = (): SnapshotDelta => ({
    environment: 'prod',
    base: 1,
    version: 2,
    createdAt: new Date().toISOString(),
    flags: { 'flag-005': { ...bigFlag(5, 'v2'), version: 2 } },
    segments: {},
  });

  it('a one-flag change reaches the SDK as a delta on the stream: no snapshot is fetched', async () => {
    // An inline limit the delta fits and the snapshot (~100 KB) does not: a change that reaches
    // the SDK with no request came as a delta.
    const server = await start(8 * 1024);
    expect(Buffer.byteLength(server.store.get('prod')!.snapshotJson)).toBeGreaterThan(8 * 1024);
    const requests = recordRequests();
    try {
      const file = join(dir, 'lkg.json');
      const c = client([server.url], { lastKnownGoodFile: file });
      expect(await c.waitForReady(5000)).toBe(true);
      await quiet(requests.paths);
      const before = requests.paths.length;
      const answersBefore = await snapshotAnswers(server);
      const changes: string[][] = [];
      c.on('changed', (e) => changes.push(e.flagKeys));
      await fx.publishDelta(oneFlagChange());
      await waitFor(() => c.version === 2, 5000, 'version 2 in the SDK');
      expect(c.getStringValue('flag-005', 'default', { targetingKey: 'u', country: 'NL' })).toBe('v2-c');
      expect(changes).toEqual([['flag-005']]);
      // No request at all: the delta came in the stream event.
      await new Promise((r) => setTimeout(r, 200));
      expect(requests.paths.slice(before)).toEqual([]);
      expect(await snapshotAnswers(server)).toEqual(answersBefore);
      await expectSameAnswersAsOfrep(server, c);
      // The last-known-good file holds the snapshot the SDK had in full, and the delta since
      // (the SDK never serialises the whole snapshot for a change); a client started from it
      // alone serves version 2.
      await waitFor(
        async () => (await readFile(file, 'utf8').catch(() => '')).includes('"v2-a"'),
        5000,
        'version 2 in the file',
      );
      const saved = JSON.parse(await readFile(file, 'utf8')) as {
        etag: string;
        snapshot: Snapshot;
        deltas: Array<{ etag: string; delta: { version: number } }>;
      };
      // `etag` and `snapshot` are the base's, as in the first format (an older SDK loads that).
      expect(saved.etag).toBe('"1"');
      expect(saved.snapshot.version).toBe(1);
      expect(Object.keys(saved.snapshot.flags)).toHaveLength(FLAGS);
      expect(saved.deltas.map((d) => [d.etag, d.delta.version])).toEqual([['"2"', 2]]);
      const fromFile = new FlagshipClient({ evaluators: [], sdkKey: 'k', lastKnownGoodFile: file, offline: true });
      expect(fromFile.version).toBe(2);
      expect(fromFile.getStringValue('flag-005', 'default', { targetingKey: 'u', country: 'NL' })).toBe('v2-c');
      await fromFile.close();
    } finally {
      requests.stop();
    }
  });

  it('with an emergency kill applied, the delta is the effective one: the killed flag stays disabled', async () => {
    const server = await start(8 * 1024);
    const requests = recordRequests();
    try {
      const c = client([server.url]);
      expect(await c.waitForReady(5000)).toBe(true);
      await fx.kill('prod', 'flag-005', 1);
      await waitFor(() => c.getStringDetails('flag-005', 'default').reason === 'DISABLED', 5000, 'the kill in the SDK');
      await quiet(requests.paths);
      const before = requests.paths.length;
      // The change edits the killed flag itself: what the SDK gets has it disabled still.
      await fx.publishDelta(oneFlagChange());
      await waitFor(() => c.version === 2, 5000, 'version 2 in the SDK');
      expect(c.getStringDetails('flag-005', 'default', { country: 'NL' })).toMatchObject({
        value: 'v2-a',
        reason: 'DISABLED',
      });
      expect(requests.paths.slice(before)).toEqual([]);
      await expectSameAnswersAsOfrep(server, c);
    } finally {
      requests.stop();
    }
  });

  it('when the event cannot carry the delta, the SDK fetches ?since= its version and gets the delta', async () => {
    // An inline limit below the delta's size: the change event is the bare notice.
    const server = await start(64);
    const requests = recordRequests();
    try {
      const c = client([server.url]);
      expect(await c.waitForReady(5000)).toBe(true);
      await quiet(requests.paths);
      const before = requests.paths.length;
      const answersBefore = await snapshotAnswers(server);
      await fx.publishDelta(oneFlagChange());
      await waitFor(() => c.version === 2, 5000, 'version 2 in the SDK');
      expect(requests.paths.slice(before)).toEqual(['/v1/snapshot?since=1']);
      const answers = await snapshotAnswers(server);
      expect((answers.delta ?? 0) - (answersBefore.delta ?? 0)).toBe(1);
      expect(answers.full ?? 0).toBe(answersBefore.full ?? 0);
      expect(c.syncCounts.refusedDeltas).toBe(0);
      await expectSameAnswersAsOfrep(server, c);
    } finally {
      requests.stop();
    }
  });
});

/** A stand-in evaluator whose answers the test scripts: the stream, and each /v1/snapshot answer. */
interface ScriptedEvaluator {
  url: string;
  /** Paths of the snapshot requests, with their If-None-Match. */
  snapshotRequests: Array<{ path: string; ifNoneMatch: string | undefined }>;
  /** Sends an `event: snapshot` with this data on every open stream. */
  send(data: object): void;
  streams(): number;
  close(): Promise<void>;
}

async function scriptedEvaluator(
  answer: (path: string) => { etag: string; body: object } | 304,
): Promise<ScriptedEvaluator> {
  const open = new Set<ServerResponse>();
  const snapshotRequests: ScriptedEvaluator['snapshotRequests'] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401).end();
      return;
    }
    if (path.startsWith('/v1/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 1000\n\n');
      open.add(res);
      res.on('close', () => open.delete(res));
      return;
    }
    if (path.startsWith('/v1/snapshot')) {
      const ifNoneMatch = req.headers['if-none-match'];
      snapshotRequests.push({ path, ifNoneMatch });
      const a = answer(path);
      if (a === 304) res.writeHead(304).end();
      else res.writeHead(200, { 'content-type': 'application/json', etag: a.etag }).end(JSON.stringify(a.body));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    snapshotRequests,
    send(data) {
      for (const res of open) res.write(`event: snapshot\ndata: ${JSON.stringify(data)}\n\n`);
    },
    streams: () => open.size,
    close: async () => {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the SDK and a stand-in evaluator: deltas that do not apply', () => {
  const v1 = bigSnapshot(1);
  const v3: Snapshot = { ...v1, version: 3, flags: { ...v1.flags, 'flag-000': { ...bigFlag(0, 'v3'), version: 3 } } };
  const wrongBase: SnapshotDelta = {
    environment: 'prod',
    base: 2,
    version: 3,
    createdAt: '2026-01-01T00:00:00.000Z',
    flags: { 'flag-000': v3.flags['flag-000']! },
    segments: {},
  };
  let evaluator: ScriptedEvaluator | undefined;
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await evaluator?.close();
    evaluator = undefined;
  });

  it('refuses a delta onto the wrong base, from the stream and from ?since=, and heals by a full fetch', async () => {
    let current = v1;
    // A broken evaluator: it answers ?since= with a delta onto version 2 as well.
    evaluator = await scriptedEvaluator((path) =>
      path.includes('since=') ? { etag: '"3"', body: wrongBase } : { etag: `"${current.version}"`, body: current },
    );
    const warnings: string[] = [];
    const c = client([evaluator.url], { logger: { warn: (m) => warnings.push(m) } });
    expect(await c.waitForReady(5000)).toBe(true);
    await waitFor(() => evaluator!.streams() === 1, 5000, 'the stream');
    expect(c.version).toBe(1);
    current = v3;
    evaluator.send({ version: 3, etag: '"3"', delta: wrongBase });
    await waitFor(() => c.version === 3, 5000, 'version 3 in the SDK');
    expect(evaluator.snapshotRequests).toEqual([
      { path: '/v1/snapshot', ifNoneMatch: undefined },
      { path: '/v1/snapshot?since=1', ifNoneMatch: '"1"' },
      { path: '/v1/snapshot', ifNoneMatch: '"1"' },
    ]);
    expect(c.syncCounts).toEqual({ sinceFetches: 1, fullFetches: 2, refusedDeltas: 1 });
    expect(warnings.some((w) => w.includes('delta applies onto version 2, not 1'))).toBe(true);
    expect(c.getStringValue('flag-000', 'default')).toBe('v3-b');
    expect(c.status).toBe('READY');
  });

  it('a delta onto another base on the stream is healed by the delta from its own version', async () => {
    const fromOne: SnapshotDelta = { ...wrongBase, base: 1 };
    evaluator = await scriptedEvaluator((path) =>
      path.includes('since=1') ? { etag: '"3"', body: fromOne } : { etag: '"1"', body: v1 },
    );
    const c = client([evaluator.url]);
    expect(await c.waitForReady(5000)).toBe(true);
    await waitFor(() => evaluator!.streams() === 1, 5000, 'the stream');
    const changes: string[][] = [];
    c.on('changed', (e) => changes.push(e.flagKeys));
    evaluator.send({ version: 3, etag: '"3"', delta: wrongBase });
    await waitFor(() => c.version === 3, 5000, 'version 3 in the SDK');
    expect(evaluator.snapshotRequests.map((r) => r.path)).toEqual(['/v1/snapshot', '/v1/snapshot?since=1']);
    expect(c.syncCounts.refusedDeltas).toBe(0);
    expect(changes).toEqual([['flag-000']]);
    expect(c.getStringValue('flag-000', 'default')).toBe('v3-b');
  });

  it('a delta of a bad shape on the stream is refused and the held snapshot kept until a fetch heals it', async () => {
    let current = v1;
    evaluator = await scriptedEvaluator(() => ({ etag: `"${current.version}"`, body: current }));
    const c = client([evaluator.url]);
    expect(await c.waitForReady(5000)).toBe(true);
    await waitFor(() => evaluator!.streams() === 1, 5000, 'the stream');
    current = v3;
    // flags.flag-000 names another key: not a delta the SDK applies.
    evaluator.send({ version: 3, etag: '"3"', delta: { ...wrongBase, base: 1, flags: { 'flag-000': bigFlag(1) } } });
    await waitFor(() => c.version === 3, 5000, 'version 3 in the SDK');
    expect(c.getStringValue('flag-000', 'default')).toBe('v3-b');
    expect(c.getStringValue('flag-001', 'default', { country: 'NL' })).toBe('v1-c');
  });
});
