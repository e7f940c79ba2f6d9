/**
 * `/v1/snapshot?since=N` (docs/api.md, "Deltas for SDKs"): the handler's decisions on plain
 * states and a plain `deltaSince`: a delta when the chain is held, the client is at its base and
 * it is smaller than the snapshot; the full snapshot otherwise; 304 first; 400 on a bad `since`.
 */
import { describe, expect, it } from 'vitest';
import { makeFlag } from '../../engine/test-support.ts';
import type { Snapshot } from '../../model/flag.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import type { SdkKeyAuth } from '../auth/sdk-key-auth.ts';
import type { EvaluatorRequest } from '../http/evaluator-request.ts';
import type { Replies } from '../http/reply.ts';
import { typesSnapshot } from '../test-support.ts';
import { ServedEnvironment } from './served-environment.ts';
import { answerSince, createSnapshotHandler, deltaBaseEtag, parseSince } from './snapshot-handler.ts';

// The disk copy is the follower's business (last-known-good.ts): none of these states is saved.
const NO_DISK_COPY = { base: '', baseVersion: 0, deltas: [] } as unknown as ServedEnvironment['disk'];
const state = (snapshot: Snapshot, sdkDelta?: SnapshotDelta, kills: ServedEnvironment['kills'] = {}) =>
  new ServedEnvironment(
    { snapshot, sdkKeyHashes: [], publishedAt: 0 },
    NO_DISK_COPY,
    kills,
    'redis',
    Date.now(),
    undefined,
    sdkDelta,
  );

const v1 = typesSnapshot('prod', 1, 'one');
const changed = makeFlag('string-flag', {
  type: 'string',
  variants: { on: 'two', off: 'off' },
  offVariant: 'off',
  defaultRule: { variant: 'on' },
});
const delta12: SnapshotDelta = {
  environment: 'prod',
  base: 1,
  version: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  flags: { 'string-flag': changed },
  segments: {},
};
const v2 = { ...v1, version: 2, flags: { ...v1.flags, 'string-flag': changed } };

interface Answer {
  status: number;
  headers: string[];
  body: string | undefined;
}

function harness(
  served: ServedEnvironment | undefined,
  deltaSince?: (env: string, v: number) => SnapshotDelta | undefined,
) {
  const answers: Answer[] = [];
  const counted: string[] = [];
  const asked: number[] = [];
  const replies = {
    fixed: (_req: unknown, status: number, headers: string[], body: string | undefined) =>
      answers.push({ status, headers, body }),
    json: (_req: unknown, status: number, value: unknown, extra: string[] = []) =>
      answers.push({ status, headers: extra, body: JSON.stringify(value) }),
  } as unknown as Replies;
  const auth = { authenticate: () => 'prod' } as unknown as SdkKeyAuth;
  const handler = createSnapshotHandler({
    environments: {
      get: () => served,
      ...(deltaSince === undefined
        ? {}
        : {
            deltaSince: (env: string, v: number) => {
              asked.push(v);
              return deltaSince(env, v);
            },
          }),
    },
    auth,
    replies,
    metrics: { snapshotAnswer: (kind) => counted.push(kind) },
  });
  const call = (query: string, ifNoneMatch?: string) => {
    const req = {
      method: 'GET',
      clientKey: false,
      headers: ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch },
    } as unknown as EvaluatorRequest;
    handler(req, query);
    return answers.at(-1)!;
  };
  /** The next answer, however many turns of the event loop it takes. */
  const callSoon = async (query: string): Promise<Answer | undefined> => {
    const before = answers.length;
    call(query);
    for (let i = 0; i < 1_000 && answers.length === before; i++) await new Promise((r) => setImmediate(r));
    return answers[before];
  };
  return { call, callSoon, counted, asked, answers };
}

const header = (a: Answer, name: string) => a.headers[a.headers.indexOf(name) + 1];

describe('GET /v1/snapshot?since=N', () => {
  it('answers the delta from N, with the ETag of the served state, and counts it', () => {
    const h = harness(state(v2, delta12), (_env, v) => (v === 1 ? delta12 : undefined));
    const a = h.call('since=1', '"1"');
    expect(a.status).toBe(200);
    expect(header(a, 'ETag')).toBe('"2"');
    expect(JSON.parse(a.body!)).toEqual(delta12);
    expect(h.asked).toEqual([1]);
    expect(h.counted).toEqual(['delta']);
    // Without If-None-Match too (the client says only its version).
    expect(JSON.parse(h.call('since=1').body!)).toMatchObject({ base: 1, version: 2 });
  });

  it('answers the full snapshot when no chain from N is held, or without since', () => {
    const served = state(v2, delta12);
    const h = harness(served, () => undefined);
    const a = h.call('since=0', '"0"');
    expect(a.status).toBe(200);
    expect(a.body).toBe(served.snapshotJson);
    expect(JSON.parse(a.body!)).not.toHaveProperty('base');
    expect(h.call('').body).toBe(served.snapshotJson);
    expect(h.counted).toEqual(['full', 'full']);
    // A follower without deltaSince (an older one) answers in full as well.
    expect(harness(served).call('since=1', '"1"').body).toBe(served.snapshotJson);
  });

  it('answers a large environment in full after building its JSON between turns, then at once', async () => {
    const flags: Snapshot['flags'] = {};
    for (let i = 0; i < 3_000; i++) flags[`f-${i}`] = makeFlag(`f-${i}`);
    const served = state({ ...v1, flags });
    const h = harness(served, () => undefined);
    const answers = h.answers.length;
    h.call('');
    expect(h.answers.length).toBe(answers); // not in the request's turn
    const first = await h.callSoon('');
    expect(first?.status).toBe(200);
    expect(first?.body).toBe(JSON.stringify(served.effective));
    // Built once: the next answer is in the request's own turn.
    expect(h.call('').body).toBe(first?.body);
  });

  it('answers 304 first when If-None-Match names the served ETag, whatever since says', () => {
    const h = harness(state(v2, delta12), () => delta12);
    const a = h.call('since=1', '"2"');
    expect(a.status).toBe(304);
    expect(a.body).toBeUndefined();
    expect(h.counted).toEqual([]);
  });

  it('refuses a since that is not a non-negative integer with 400 naming since', () => {
    const h = harness(state(v2, delta12), () => delta12);
    for (const q of ['since=', 'since=-1', 'since=1.5', 'since=abc', 'since=1e3']) {
      const a = h.call(q);
      expect(a.status, q).toBe(400);
      expect(a.body, q).toContain('since');
    }
    expect(h.asked).toEqual([]);
  });
});

describe('answerSince', () => {
  it('answers in full when the client holds N with other kills than the served state', () => {
    const killed = { 'bool-flag': { flag: 'bool-flag', at: 1, actor: 't', reason: 'r', snapshotVersion: 1 } };
    const served = state(v2, delta12, killed);
    expect(served.etag).toMatch(/^"2-killed-/);
    // The client's ETag "1" is version 1 without the kill: the delta (same kills on both sides) is not onto it.
    expect(answerSince(served, 1, '"1"', delta12).kind).toBe('full');
    expect(answerSince(served, 1, deltaBaseEtag(served.etag, 2, 1), delta12).kind).toBe('delta');
  });

  it('answers in full when the delta is not smaller than the snapshot', () => {
    // A delta that replaces every flag is larger than the snapshot (it also names removals).
    const all: SnapshotDelta = {
      ...delta12,
      flags: { ...v2.flags, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`gone-${i}`, null])) },
    };
    expect(answerSince(state(v2, all), 1, undefined, all).kind).toBe('full');
    expect(answerSince(state(v2, delta12), 1, undefined, delta12).kind).toBe('delta');
  });

  it('answers in full when the delta does not end at the served version or start at N', () => {
    expect(answerSince(state(v2), 1, undefined, { ...delta12, version: 3 }).kind).toBe('full');
    expect(answerSince(state(v2), 0, undefined, delta12).kind).toBe('full');
  });
});

describe('parseSince and deltaBaseEtag', () => {
  it('reads since, and the base ETag keeps the kills part', () => {
    expect(parseSince('')).toBeUndefined();
    expect(parseSince('environment=prod')).toBeUndefined();
    expect(parseSince('since=0')).toBe(0);
    expect(parseSince('since=42&environment=prod')).toBe(42);
    expect(parseSince('since=x')).toBe('invalid');
    expect(deltaBaseEtag('"7"', 7, 5)).toBe('"5"');
    expect(deltaBaseEtag('"7-killed-ab12"', 7, 5)).toBe('"5-killed-ab12"');
    expect(deltaBaseEtag('"17"', 7, 5)).toBeUndefined();
    expect(deltaBaseEtag('"70"', 7, 5)).toBeUndefined();
  });
});
