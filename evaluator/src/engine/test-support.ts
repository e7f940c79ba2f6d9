/** Builders shared by the engine's tests and benchmark. Not part of the public API. */
import type { Serve, Snapshot, SnapshotFlag } from '../model/flag.ts';

/** A valid boolean/string flag with sensible defaults; override any field. */
export function makeFlag(key: string, overrides: Partial<SnapshotFlag> = {}): SnapshotFlag {
  return {
    key,
    type: 'string',
    variants: { treatment: 'T', control: 'C' },
    salt: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
    version: 1,
    enabled: true,
    offVariant: 'control',
    prerequisites: [],
    targets: [],
    rules: [],
    defaultRule: { variant: 'control' },
    ...overrides,
  };
}

/** A snapshot of the given flags. */
export function makeSnapshot(flags: SnapshotFlag[], segments: Snapshot['segments'] = {}, version = 1): Snapshot {
  return { environment: 'test.env', version, flags: Object.fromEntries(flags.map((f) => [f.key, f])), segments };
}

/** A ramp: `treatmentWeight` (units of 0.001%) to treatment, listed first, the rest to control. */
export function ramp(treatmentWeight: number): Serve {
  return {
    split: [
      { variant: 'treatment', weight: treatmentWeight },
      { variant: 'control', weight: 100_000 - treatmentWeight },
    ],
  };
}

/** xorshift32: a seeded PRNG, so property tests are reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** `count` random context keys of varied shape (ids, emails, UUID-like, non-ASCII). */
export function randomKeys(count: number, seed: number): string[] {
  const rnd = prng(seed);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = Math.floor(rnd() * 1e12).toString(36);
    switch (i % 4) {
      case 0:
        keys.push(`user-${r}`);
        break;
      case 1:
        keys.push(`${r}@example.com`);
        break;
      case 2:
        keys.push(`${r.padStart(8, '0')}-${Math.floor(rnd() * 65536).toString(16)}-4${i.toString(16)}`);
        break;
      default:
        keys.push(`ü${r}日`);
    }
  }
  return keys;
}
