/**
 * The hub writes a change to many streams in batches of FANOUT_BATCH per turn of the event loop
 * (a write is a syscall: thousands in one turn would stall requests), and every stream still gets
 * its events in the order of the swaps. Real sockets are in propagation.int.test.ts.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ServedEnvironment } from '../snapshots/served-environment.ts';
import { typesSnapshot } from '../test-support.ts';
import { FANOUT_BATCH, SseHub } from './sse-hub.ts';

const NO_DISK_COPY = { base: '', baseVersion: 0, deltas: [] } as unknown as ServedEnvironment['disk'];
const state = (version: number) =>
  new ServedEnvironment(
    { snapshot: typesSnapshot('prod', version, `v${version}`), sdkKeyHashes: ['h'], publishedAt: 0 },
    NO_DISK_COPY,
    {},
    'redis',
    Date.now(),
  );

interface Recorded {
  res: ServerResponse;
  versions: () => number[];
}

function response(): Recorded {
  let text = '';
  const res = {
    writableEnded: false,
    destroyed: false,
    writeHead: () => res,
    write: (chunk: string | Buffer) => {
      text += chunk.toString();
      return true;
    },
    end: () => undefined,
    on: () => res,
    socket: undefined,
  };
  const versions = () => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  return { res: res as unknown as ServerResponse, versions };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('SSE fan-out in batches', () => {
  let hub: SseHub | undefined;
  afterEach(() => hub?.close());

  function subscribe(n: number): Recorded[] {
    hub = new SseHub({ heartbeatMs: 60_000, maxStreams: 10_000, maxPerKey: 10_000, inlineMaxBytes: 0 });
    const first = state(1);
    return Array.from({ length: n }, () => {
      const r = response();
      hub!.add('prod', 'h', r.res, 'snapshot', first);
      return r;
    });
  }

  it('writes FANOUT_BATCH streams in the turn of the swap and the rest in later turns', async () => {
    const streams = subscribe(FANOUT_BATCH * 3 + 5);
    hub!.publish(state(2));
    const got = () => streams.filter((s) => s.versions().includes(2)).length;
    expect(got()).toBe(FANOUT_BATCH);
    await turn();
    expect(got()).toBe(FANOUT_BATCH * 2);
    for (let i = 0; i < 5 && got() < streams.length; i++) await turn();
    expect(got()).toBe(streams.length);
  });

  it('keeps every stream in swap order when changes come faster than the fan-out', async () => {
    const streams = subscribe(FANOUT_BATCH * 2 + 1);
    for (const v of [2, 3, 4]) hub!.publish(state(v));
    for (let i = 0; i < 20 && streams.some((s) => s.versions().at(-1) !== 4); i++) await turn();
    for (const s of streams) expect(s.versions()).toEqual([1, 2, 3, 4]);
  });

  it('skips a stream that ended before its turn, without spending the batch on it', async () => {
    const streams = subscribe(FANOUT_BATCH + 10);
    for (const s of streams.slice(0, 10)) (s.res as { writableEnded: boolean }).writableEnded = true;
    hub!.publish(state(2));
    expect(streams.slice(0, 10).every((s) => !s.versions().includes(2))).toBe(true);
    expect(streams.slice(10).every((s) => s.versions().includes(2))).toBe(true);
  });
});
