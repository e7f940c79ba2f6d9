/** Seeded random bodies for fuzzing: mutations of valid bodies, and junk. */

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const KEYS = ['key', 'type', 'variants', 'version', 'enabled', 'offVariant', 'rules', 'conditions', 'op', 'values', 'split', 'weight',
  'variant', '__proto__', 'constructor', 'prototype', '', 'x'.repeat(300), 'reason', 'environments', 'config', 'baseVersion', 'role', 'ü→💥'];

export function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 7 : 10));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return pick(r, [0, -1, 1, 1.5, 2 ** 53, -(2 ** 63), 1e308, 100_000, 100_001]);
    case 3: return pick(r, ['', 'on', 'off', 'boolean', 'string', 'in', 'matches', '(a+)+$', 'x'.repeat(5000), '../..', '\u0000', 'DROP TABLE flags;--', "'", '"']);
    case 4: return Math.floor(r() * 1000);
    case 5: return pick(r, ['p.dev', 'dev', 'viewer', 'admin', 'sdk', 'f', 's', 'beta']);
    case 6: return 'k' + Math.floor(r() * 1e6).toString(36);
    case 7: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[pick(r, KEYS)] = randomValue(r, depth + 1);
      return o;
    }
  }
}

/** A copy of `value` with one random change somewhere inside. */
export function mutate(r: () => number, value: unknown): unknown {
  const copy = structuredClone(value);
  const containers: Array<Record<string, unknown> | unknown[]> = [];
  const walk = (v: unknown) => {
    if (v && typeof v === 'object') {
      containers.push(v as Record<string, unknown>);
      for (const c of Object.values(v)) walk(c);
    }
  };
  walk(copy);
  if (containers.length === 0) return randomValue(r);
  const target = pick(r, containers);
  const keys = Object.keys(target);
  const op = Math.floor(r() * 6);
  if (Array.isArray(target)) {
    if (op < 2 && target.length > 0) target.splice(Math.floor(r() * target.length), 1);
    else if (op < 4) target.push(randomValue(r));
    else if (target.length > 0) target[Math.floor(r() * target.length)] = randomValue(r);
    else target.push(randomValue(r));
  } else if (op === 0 && keys.length > 0) delete target[pick(r, keys)];
  else if (op === 1) Object.defineProperty(target, pick(r, KEYS), { value: randomValue(r), enumerable: true, configurable: true, writable: true });
  else if (keys.length > 0) target[pick(r, keys)] = op === 5 ? deep(Math.floor(60 + r() * 10)) : randomValue(r);
  return copy;
}

const deep = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

/** Raw texts that are not valid JSON objects, or not JSON at all. */
export const JUNK_TEXTS = ['{', 'null', '[]', '"x"', '1', 'true', '{"a":}', '{"a":1,}', '\u0000', '{"__proto__":{"admin":true}}', '[' .repeat(70) + ']'.repeat(70), '{"a":"\\ud800"}', '   ', '{}{}'];
