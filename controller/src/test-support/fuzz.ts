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
const KEYS = [
  'key',
  'type',
  'variants',
  'version',
  'enabled',
  'offVariant',
  'rules',
  'conditions',
  'op',
  'values',
  'split',
  'weight',
  'variant',
  '__proto__',
  'constructor',
  'prototype',
  '',
  'x'.repeat(300),
  'reason',
  'environments',
  'config',
  'baseVersion',
  'role',
  'ü→💥',
];

export function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 7 : 10));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick(r, [0, -1, 1, 1.5, 2 ** 53, -(2 ** 63), 1e308, 100_000, 100_001]);
    case 3:
      return pick(r, [
        '',
        'on',
        'off',
        'boolean',
        'string',
        'in',
        'matches',
        '(a+)+$',
        'x'.repeat(5000),
        '../..',
        '\u0000',
        'DROP TABLE flags;--',
        "'",
        '"',
      ]);
    case 4:
      return Math.floor(r() * 1000);
    case 5:
      return pick(r, ['p.dev', 'dev', 'viewer', 'admin', 'sdk', 'f', 's', 'beta']);
    case 6:
      return 'k' + Math.floor(r() * 1e6).toString(36);
    case 7:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
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
  else if (op === 1)
    Object.defineProperty(target, pick(r, KEYS), {
      value: randomValue(r),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  else if (keys.length > 0) target[pick(r, keys)] = op === 5 ? deep(Math.floor(60 + r() * 10)) : randomValue(r);
  return copy;
}

const deep = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

/** Raw texts that are not valid JSON objects, or not JSON at all. */
export const JUNK_TEXTS = [
  '{',
  'null',
  '[]',
  '"x"',
  '1',
  'true',
  '{"a":}',
  '{"a":1,}',
  '\u0000',
  '{"__proto__":{"admin":true}}',
  '['.repeat(70) + ']'.repeat(70),
  '{"a":"\\ud800"}',
  '   ',
  '{}{}',
];

/** One hostile YAML body: what kind it is (for the report) and the bytes to send. */
export interface HostileYaml {
  kind: string;
  body: string | Uint8Array;
  /** The error codes a correct reader may answer with, where the generator knows (any of them). */
  expect?: string[];
}

const TAGS = [
  '!foo',
  '!!binary',
  '!!set',
  '!!omap',
  '!!pairs',
  '!!timestamp',
  '!!python/object:os.system',
  '!js/function',
  '!<tag:example.com,2000:x>',
  '!!merge',
  '!!value',
];
const YAML_SPECIALS = [
  '[',
  ']',
  '{',
  '}',
  '&a ',
  '*a',
  '!x ',
  '|',
  '>',
  '%YAML 1.1\n',
  '---\n',
  '...\n',
  '\t',
  '#',
  '"',
  "'",
  ': ',
  '- ',
  '? ',
  ',',
  '\n',
  '  ',
  '<<: ',
  '\\',
  '\u0000',
  '\ufeff',
  '@',
  '`',
];
const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
];

const repeat = (r: () => number, unit: string, lo: number, hi: number) => unit.repeat(lo + Math.floor(r() * (hi - lo)));

/** Deep flow, deep block, alias bombs, tags, huge scalars, invalid UTF-8, and mutations of a valid document. */
export function hostileYaml(r: () => number, valid: string, sizeLimit: number): HostileYaml {
  const dice = Math.floor(r() * 100);
  const depth = r() < 0.5 ? 55 + Math.floor(r() * 20) : 100 + Math.floor(r() * 150_000);
  if (dice < 12) {
    const [open, close] = pick(r, [
      ['[', ']'],
      ['{a: ', '}'],
      ['[a: ', ']'],
      ['{', '}'],
      ['[[{x: ', '}]]'],
    ]);
    // Unclosed, a body within the pre-scan's bound is refused by the parser first: also right.
    const closed = r() < 0.5;
    return {
      kind: 'deep flow',
      body: `flags: ${open.repeat(depth)}${closed ? close.repeat(depth) : ''}`,
      ...(depth > 64 ? { expect: closed ? ['TOO_DEEP'] : ['TOO_DEEP', 'INVALID_YAML'] } : {}),
    };
  }
  if (dice < 24) {
    const shape = Math.floor(r() * 4);
    const n = Math.min(depth, 4_000);
    const expect = depth > 64 ? ['TOO_DEEP', 'BODY_TOO_LARGE'] : undefined;
    if (shape === 0) return { kind: 'deep block', body: `${'- '.repeat(depth)}x`, expect };
    if (shape === 1) return { kind: 'deep block', body: `${'? '.repeat(depth)}x`, expect };
    if (shape === 2)
      return {
        kind: 'deep block',
        body: Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' x',
        expect,
      };
    return {
      kind: 'deep block',
      body: Array.from({ length: n }, (_, i) => `${' '.repeat(2 * i)}- a:`).join('\n'),
      expect,
    };
  }
  if (dice < 40) {
    const width = 2 + Math.floor(r() * 12);
    const levels = 2 + Math.floor(r() * 12);
    const name = (i: number) => `l${i}`;
    const lol = `"${repeat(r, 'lol', 1, 30)}"`;
    let text = `flags: {}\n${name(0)}: &${name(0)} [${Array(width).fill(lol).join(', ')}]\n`;
    for (let i = 1; i < levels; i++)
      text += `${name(i)}: &${name(i)} [${Array(width)
        .fill(`*${name(i - 1)}`)
        .join(', ')}]\n`;
    const variant = Math.floor(r() * 4);
    if (variant === 1) text += `self: &s [1, *s]\n`;
    if (variant === 2)
      text += `deep: &d ${'['.repeat(40)}${']'.repeat(40)}\nmore: ${'['.repeat(30)}*d${']'.repeat(30)}\n`;
    if (variant === 3) text += `? *${name(levels - 1)}\n: key\n`;
    // The last level alone expands to width^levels scalars.
    const expect = [
      ...(width ** levels * (lol.length + 1) > sizeLimit ? ['ALIAS_EXPANSION'] : []),
      ...[[], ['RECURSIVE_ALIAS'], ['TOO_DEEP'], ['NON_SCALAR_KEY']][variant]!,
    ];
    return { kind: 'alias expansion', body: text, ...(expect.length > 0 ? { expect } : {}) };
  }
  if (dice < 52) {
    // On a scalar value (`key: value` lines), where a tag is always a tag.
    const lines = valid.split('\n');
    const candidates = lines.map((l, i) => (/^\s*[\w-]+: \S/.test(l) ? i : -1)).filter((i) => i >= 0);
    const at = pick(r, candidates);
    const line = lines[at]!;
    const colon = line.indexOf(': ');
    lines[at] = `${line.slice(0, colon + 2)}${pick(r, TAGS)} ${line.slice(colon + 2)}`;
    return { kind: 'custom tag', body: lines.join('\n'), expect: ['UNSUPPORTED_TAG'] };
  }
  if (dice < 58) {
    // Near and over the size limit: the raw limit answers 413, the rest is a huge scalar or key.
    const near = dice < 55;
    const size = near ? 100_000 + Math.floor(r() * 900_000) : sizeLimit - 200 + Math.floor(r() * 400);
    const scalar = 'x'.repeat(Math.max(0, size - valid.length - 40));
    const where = Math.floor(r() * 3);
    const body =
      where === 0
        ? `${valid}\nextra: "${scalar}"\n`
        : where === 1
          ? valid.replace('type: boolean', `type: ${scalar}`)
          : `"${scalar}": 1\n${valid}`;
    return {
      kind: 'huge scalar',
      body,
      ...(Buffer.byteLength(body) > sizeLimit ? { expect: ['BODY_TOO_LARGE'] } : {}),
    };
  }
  if (dice < 72) {
    const bytes = Buffer.from(valid, 'utf8');
    const at = Math.floor(r() * bytes.length);
    const bad = Buffer.from(pick(r, INVALID_UTF8));
    return {
      kind: 'invalid UTF-8',
      body: new Uint8Array(Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)])),
      expect: ['INVALID_UTF8'],
    };
  }
  if (dice < 92) {
    let text = valid;
    for (let n = 1 + Math.floor(r() * 4); n > 0; n--) {
      const at = Math.floor(r() * (text.length + 1));
      const cut = r() < 0.3 ? Math.floor(r() * 10) : 0;
      text = text.slice(0, at) + pick(r, YAML_SPECIALS) + text.slice(at + cut);
    }
    return { kind: 'mixed', body: text };
  }
  return { kind: 'valid', body: valid };
}
