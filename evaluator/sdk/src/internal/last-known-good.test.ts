/**
 * The last-known-good file's two formats: the first (a snapshot alone) and base + deltas. A file
 * loads to the newest state its deltas chain to, with that state's ETag; what an SDK of the first
 * format reads from a new file (`etag`, `snapshot`) is a consistent older state.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot, SnapshotDelta } from '@flagship/evaluator';
import { describe, expect, it } from 'vitest';
import { readLastKnownGood, writeLastKnownGood } from './last-known-good.ts';
import { stringFlag } from './test-support/string-flag.ts';

const flag = stringFlag;
const base: Snapshot = { environment: 'prod', version: 1, createdAt: 'x', flags: { a: flag('a', 'a1') }, segments: {} };
const delta = (from: number, to: number, value: string): SnapshotDelta => ({
  environment: 'prod',
  base: from,
  version: to,
  createdAt: 'y',
  flags: { a: flag('a', value) },
  segments: {},
});
const dir = mkdtempSync(join(tmpdir(), 'sdk-lkg-'));

describe('the last-known-good file', () => {
  it('loads the base with the deltas applied, with the ETag of the last one', async () => {
    const file = join(dir, 'chain.json');
    const deltas = [
      { etag: '"2"', json: JSON.stringify(delta(1, 2, 'a2')) },
      { etag: '"5"', json: JSON.stringify(delta(2, 5, 'a5')) },
    ];
    await writeLastKnownGood(file, { base: JSON.stringify(base), baseEtag: '"1"', deltas }, 7);
    const { value, problem } = readLastKnownGood(file);
    expect(problem).toBeUndefined();
    expect(value?.etag).toBe('"5"');
    expect(value?.snapshot.version).toBe(5);
    expect(value?.snapshot.flags.a?.variants.on).toBe('a5');
    expect(value?.savedAt).toBe(7);
    // What the first format's reader takes: the base and its own ETag, never a newer ETag on it.
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { etag: string; snapshot: Snapshot };
    expect([raw.etag, raw.snapshot.version]).toEqual(['"1"', 1]);
  });

  it('stops at the first delta that does not chain, with the ETag of the state reached', async () => {
    const file = join(dir, 'broken.json');
    const deltas = [
      { etag: '"2"', json: JSON.stringify(delta(1, 2, 'a2')) },
      { etag: '"9"', json: JSON.stringify(delta(7, 9, 'a9')) },
      { etag: '"10"', json: JSON.stringify(delta(9, 10, 'a10')) },
    ];
    await writeLastKnownGood(file, { base: JSON.stringify(base), baseEtag: '"1"', deltas }, 0);
    const { value } = readLastKnownGood(file);
    expect([value?.etag, value?.snapshot.version, value?.snapshot.flags.a?.variants.on]).toEqual(['"2"', 2, 'a2']);
  });

  it('reads a file of the first format (a snapshot alone)', () => {
    const file = join(dir, 'first.json');
    writeFileSync(file, JSON.stringify({ etag: '"1"', savedAt: 3, snapshot: base }));
    const { value } = readLastKnownGood(file);
    expect([value?.etag, value?.snapshot.version]).toEqual(['"1"', 1]);
  });
});
