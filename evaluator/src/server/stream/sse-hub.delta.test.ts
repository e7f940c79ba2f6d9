/**
 * The hub's change events on `/v1/stream?include=snapshot` (docs/api.md, "Deltas for SDKs"): a
 * state that came from a delta carries it (`"delta"`, no `"snapshot"`) when it fits the inline
 * limit; otherwise the snapshot inline when it fits, else the bare notice. The first event of a
 * stream and the plain and OFREP formats are unchanged.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { makeFlag } from '../../engine/test-support.ts';
import type { Snapshot } from '../../model/flag.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { ServedEnvironment } from '../snapshots/served-environment.ts';
import { typesSnapshot } from '../test-support.ts';
import { SseHub, type StreamFormat } from './sse-hub.ts';

// The disk copy is the follower's business (last-known-good.ts): none of these states is saved.
const NO_DISK_COPY = { base: '', baseVersion: 0, deltas: [] } as unknown as ServedEnvironment['disk'];
const state = (snapshot: Snapshot, sdkDelta?: SnapshotDelta) =>
  new ServedEnvironment(
    { snapshot, sdkKeyHashes: ['h'], publishedAt: 0 },
    NO_DISK_COPY,
    {},
    'redis',
    Date.now(),
    undefined,
    sdkDelta,
  );

const v1 = typesSnapshot('prod', 1, 'one');
const changed = makeFlag('string-flag', { type: 'string', variants: { on: 'two', off: 'off' }, offVariant: 'off' });
const delta12: SnapshotDelta = {
  environment: 'prod',
  base: 1,
  version: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  flags: { 'string-flag': changed },
  segments: {},
};
const v2 = { ...v1, version: 2, flags: { ...v1.flags, 'string-flag': changed } };

/** A response that records what is written to it. */
function response(): { res: ServerResponse; events: () => Array<Record<string, unknown>>; text: () => string } {
  let text = '';
  const res = {
    writeHead: () => res,
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
    end: () => undefined,
    on: () => res,
    socket: undefined,
  } as unknown as ServerResponse;
  const events = () =>
    text
      .split('\n\n')
      .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
      .filter((l): l is string => l !== undefined)
      .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
  return { res, events, text: () => text };
}

const hubs: SseHub[] = [];
function hub(inlineMaxBytes: number): SseHub {
  const h = new SseHub({ heartbeatMs: 60_000, maxStreams: 10, maxPerKey: 10, inlineMaxBytes });
  hubs.push(h);
  return h;
}
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
});

function subscribe(h: SseHub, current: ServedEnvironment, inline: boolean, format: StreamFormat = 'snapshot') {
  const r = response();
  h.add('prod', 'h', r.res, format, current, [], inline);
  return r;
}

describe('SseHub change events with deltas', () => {
  it('carries the delta, not the snapshot, on a change that came from a delta within the limit', () => {
    const h = hub(64 * 1024);
    const first = state(v1);
    const inline = subscribe(h, first, true);
    const plain = subscribe(h, first, false);
    const ofrep = subscribe(h, first, true, 'ofrep');
    const next = state(v2, delta12);
    h.publish(next);
    const [opening, change] = inline.events();
    // The first event of a stream is as before: the version and ETag only.
    expect(opening).toEqual({ version: 1, etag: '"1"' });
    expect(change).toEqual({ version: 2, etag: '"2"', delta: delta12 });
    expect(change).not.toHaveProperty('snapshot');
    expect(inline.text()).toContain('id: 2\nevent: snapshot\n');
    expect(plain.events()[1]).toEqual({ version: 2, etag: '"2"' });
    expect(ofrep.events()[1]).toMatchObject({ type: 'refetchEvaluation', etag: '"2"' });
  });

  it('carries the snapshot when the state has no delta (a full load, a kill change), as before', () => {
    const h = hub(64 * 1024);
    const s = subscribe(h, state(v1), true);
    const next = state(v2);
    h.publish(next);
    expect(s.events()[1]).toEqual({ version: 2, etag: '"2"', snapshot: JSON.parse(next.snapshotJson) });
  });

  it('falls back to the snapshot, then to the bare notice, as the limit shrinks', () => {
    const deltaBytes = Buffer.byteLength(JSON.stringify(delta12));
    const snapshotBytes = Buffer.byteLength(state(v2).snapshotJson);
    // A delta larger than the limit, with a snapshot that fits: the snapshot goes inline.
    const big: SnapshotDelta = { ...delta12, flags: { ...delta12.flags, pad: null, ['x'.repeat(4000)]: null } };
    const h1 = hub(snapshotBytes);
    const s1 = subscribe(h1, state(v1), true);
    h1.publish(state(v2, big));
    expect(s1.events()[1]).toHaveProperty('snapshot');
    expect(s1.events()[1]).not.toHaveProperty('delta');
    // A limit the delta fits exactly.
    const h2 = hub(deltaBytes);
    const s2 = subscribe(h2, state(v1), true);
    h2.publish(state(v2, delta12));
    expect(s2.events()[1]).toHaveProperty('delta');
    // Neither fits: the notice, and the SDK fetches.
    const h3 = hub(deltaBytes - 1);
    const s3 = subscribe(h3, state(v1), true);
    h3.publish(state(v2, delta12));
    expect(s3.events()[1]).toEqual({ version: 2, etag: '"2"' });
    // 0 turns inlining off altogether.
    const h4 = hub(0);
    const s4 = subscribe(h4, state(v1), true);
    h4.publish(state(v2, delta12));
    expect(s4.events()[1]).toEqual({ version: 2, etag: '"2"' });
  });
});
