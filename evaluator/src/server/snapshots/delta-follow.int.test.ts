/**
 * The follower and deltas (docs/architecture.md, "Deltas"), against the real Redis: a change
 * message carrying a delta onto the served version is applied with no read; a hint without it
 * reads only the deltas set; a delta onto another base, a gap in the deltas set and a corrupt
 * delta are refused and heal by a full fetch; the SDK deltas chain for `deltaSince`; the disk
 * copy holds the full envelope plus, in a small file beside it, the deltas, and an evaluator
 * started from it serves the latest version.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFlag } from '../../engine/test-support.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import type { EvaluatorServer } from '../evaluator-server.ts';
import { useServerTestBed } from '../test-support/server-test-bed.ts';
import { typesSnapshot, waitFor } from '../test-support.ts';

const bed = useServerTestBed();
const start = (overrides?: Parameters<typeof bed.start>[0]) => bed.start(overrides);

async function served(server: EvaluatorServer, key: string) {
  const res = await fetch(`${server.url}/ofrep/v1/evaluate/flags/${key}`, {
    method: 'POST',
    headers: { authorization: 'Bearer key-prod' },
    body: '{"context":{"targetingKey":"u"}}',
  });
  const json = (await res.json()) as { value?: unknown; errorCode?: string };
  return { status: res.status, value: json.value, errorCode: json.errorCode };
}

const stringFlag = (value: string) =>
  makeFlag('string-flag', {
    type: 'string',
    variants: { on: value, off: 'off' },
    offVariant: 'off',
    defaultRule: { variant: 'on' },
    salt: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
  });

const delta = (base: number, version: number, flags: SnapshotDelta['flags']): SnapshotDelta => ({
  environment: 'prod',
  base,
  version,
  createdAt: new Date().toISOString(),
  flags,
  segments: {},
});

describe('the follower and deltas', () => {
  it('applies a delta carried by the message with no read, and one from the deltas set on a bare hint', async () => {
    await bed.fx.publish(typesSnapshot('prod', 1, 'v1'), ['key-prod']);
    const server = await start();
    const stats = server.store.stats;
    const fetches = stats.fetches;
    await bed.fx.publishDelta(delta(1, 2, { 'string-flag': stringFlag('v2') }));
    await waitFor(async () => server.store.get('prod')?.version === 2);
    expect(await served(server, 'string-flag')).toMatchObject({ status: 200, value: 'v2' });
    // Untouched flags answer as before.
    expect(await served(server, 'bool-flag')).toMatchObject({ status: 200, value: true });
    await bed.fx.publishDelta(delta(2, 3, { 'bool-flag': null }), { inline: false });
    await waitFor(async () => server.store.get('prod')?.version === 3);
    expect(await served(server, 'bool-flag')).toMatchObject({ status: 404, errorCode: 'FLAG_NOT_FOUND' });
    expect(stats.fetches).toBe(fetches);
    expect(stats.deltas).toBe(2);
    // The SDK side: the effective deltas chain from any held version to the served one.
    const since1 = server.store.deltaSince('prod', 1)!;
    expect(since1).toMatchObject({ base: 1, version: 3 });
    expect(Object.keys(since1.flags).sort()).toEqual(['bool-flag', 'string-flag']);
    expect(server.store.deltaSince('prod', 2)).toMatchObject({ base: 2, version: 3, flags: { 'bool-flag': null } });
    expect(server.store.deltaSince('prod', 3)).toBeUndefined();
    expect(server.store.deltaSince('prod', 0)).toBeUndefined();
  });

  it('a delta onto another base is refused and heals by a full fetch', async () => {
    await bed.fx.publish(typesSnapshot('prod', 1, 'v1'), ['key-prod']);
    const server = await start();
    const fetches = server.store.stats.fetches;
    // Version 2 was never seen here: the full snapshot moved to 3 (a full publish), and a delta
    // 3 -> 4 arrives. It cannot apply onto 1; the deltas set does not reach from 1 either.
    await bed.fx.publish(typesSnapshot('prod', 3, 'v3'), ['key-prod'], { notify: false });
    await bed.fx.publishDelta(delta(3, 4, { 'string-flag': stringFlag('v4') }));
    await waitFor(async () => server.store.get('prod')?.version === 4);
    expect(await served(server, 'string-flag')).toMatchObject({ value: 'v4' });
    expect(server.store.stats.fetches).toBe(fetches + 1);
    // No SDK delta spans the full load.
    expect(server.store.deltaSince('prod', 1)).toBeUndefined();
  });

  it('a corrupt delta is refused (the old snapshot stays served) and a later full publish heals it', async () => {
    await bed.fx.publish(typesSnapshot('prod', 1, 'v1'), ['key-prod']);
    const server = await start();
    const refused = server.store.stats.deltasRefused;
    const fetches = server.store.stats.fetches;
    await bed.fx.publishDelta(delta(1, 2, { 'string-flag': { key: 'other' } as never }));
    await waitFor(async () => server.store.stats.deltasRefused > refused);
    // Remembered as unusable: one full read to try to heal, not one per hint or check.
    await server.store.checkVersions();
    await server.store.checkVersions();
    expect(server.store.stats.fetches - fetches).toBe(1);
    expect(server.store.get('prod')?.version).toBe(1);
    expect(await served(server, 'string-flag')).toMatchObject({ status: 200, value: 'v1' });
    await bed.fx.publish(typesSnapshot('prod', 3, 'v3'), ['key-prod']);
    await waitFor(async () => server.store.get('prod')?.version === 3);
    expect(await served(server, 'string-flag')).toMatchObject({ value: 'v3' });
  });

  it('loads in full as the full envelope plus the deltas after it; a restart from the disk copy serves the latest', async () => {
    await bed.fx.publish(typesSnapshot('prod', 1, 'v1'), ['key-prod']);
    await bed.fx.publishDelta(delta(1, 2, { 'string-flag': stringFlag('v2') }), { notify: false });
    await bed.fx.publishDelta(delta(2, 5, { 'number-flag': null }), { notify: false });
    const first = await start();
    expect(first.store.get('prod')?.version).toBe(5);
    expect(await served(first, 'string-flag')).toMatchObject({ value: 'v2' });
    // The full copy on disk first (a save queued behind an unfinished one writes only the newest).
    await first.store.flushDisk();
    await bed.fx.publishDelta(delta(5, 6, { 'string-flag': stringFlag('v6') }));
    await waitFor(async () => first.store.get('prod')?.version === 6);
    await first.store.flushDisk();
    // The change rewrote only the small deltas file beside the envelope's.
    const main = JSON.parse(await readFile(join(bed.dataDir, 'prod.json'), 'utf8')) as {
      envelope: { snapshot: { version: number } };
    };
    const beside = JSON.parse(await readFile(join(bed.dataDir, 'prod.deltas.json'), 'utf8')) as {
      follows: { version: number };
      deltas: Array<{ delta: { version: number } }>;
    };
    expect(main.envelope.snapshot.version).toBe(1);
    expect(beside.follows.version).toBe(1);
    expect(beside.deltas.map((d) => d.delta.version)).toEqual([2, 5, 6]);
    await bed.close(first);
    // Redis unreachable: the disk copy alone.
    const second = await start({ redisUrl: 'redis://127.0.0.1:1', redisConnectTimeoutMs: 300 });
    expect(second.store.get('prod')?.version).toBe(6);
    expect(await served(second, 'string-flag')).toMatchObject({ value: 'v6' });
    expect(await served(second, 'number-flag')).toMatchObject({ status: 404 });
  });
});
