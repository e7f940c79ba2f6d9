import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import bucketing from '../../test-vectors/bucketing.json' with { type: 'json' };
import evaluation from '../../test-vectors/evaluation.json' with { type: 'json' };
import type { FlagType, Snapshot } from '../model/flag.ts';
import { validateSnapshot } from '../validation/index.ts';
import { compileSnapshot } from './compile-snapshot.ts';
import { initSipHash, saltToKey, sipHash24Hex, sipHashBucket, sipHashBucketJs } from './siphash24.ts';

const reference = createRequire(import.meta.url)('siphash') as {
  hash_hex: (key: Uint32Array, m: string) => string;
};

describe('bucketing golden vectors', () => {
  it('has vectors to check', () => expect(bucketing.vectors.length).toBeGreaterThan(300));

  it('runs the WebAssembly build in this runtime', () => expect(initSipHash()).toBe('wasm'));

  it.each(bucketing.vectors.map((v) => [JSON.stringify(v.value).slice(0, 24), v] as const))('%s', (_, v) => {
    const key = saltToKey(v.salt);
    expect(reference.hash_hex(Uint32Array.from(key), v.value)).toBe(v.hash);
    expect(sipHash24Hex(key, v.value, 'wasm')).toBe(v.hash);
    expect(sipHash24Hex(key, v.value, 'js')).toBe(v.hash);
    expect(sipHashBucket(key, v.value)).toBe(v.bucket);
    expect(sipHashBucketJs(key, v.value)).toBe(v.bucket);
  });

  it('a value too long for the module memory falls back to JavaScript and still agrees with the reference', () => {
    const key = saltToKey('000102030405060708090a0b0c0d0e0f');
    const long = 'ü'.repeat(40_000);
    const expected = reference.hash_hex(Uint32Array.from(key), long);
    expect(sipHash24Hex(key, long)).toBe(expected);
    expect(sipHashBucket(key, long)).toBe(Number(BigInt(`0x${expected}`) % 100000n));
  });
});

describe('evaluation golden vectors', () => {
  const snapshot = evaluation.snapshot as unknown as Snapshot;

  it('the vector snapshot is itself valid', () => {
    const checked = validateSnapshot(snapshot);
    expect(checked.ok ? [] : checked.problems).toEqual([]);
  });

  const engine = compileSnapshot(snapshot);
  it.each(evaluation.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const result = engine.evaluate(
      c.flag,
      c.context as Record<string, unknown>,
      (c as { expectedType?: FlagType }).expectedType,
    );
    const got: Record<string, unknown> = { reason: result.reason };
    for (const field of Object.keys(c.expect)) got[field] = (result as unknown as Record<string, unknown>)[field];
    expect(got).toEqual(c.expect);
    if (result.reason !== 'ERROR')
      expect(result.flagMetadata).toMatchObject({ snapshotVersion: 7, environment: 'acme.production' });
    else expect(result.value).toBeUndefined();
  });
});
