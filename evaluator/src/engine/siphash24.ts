/**
 * SipHash-2-4 over the UTF-8 bytes of a JS string, with no allocation per call.
 *
 * The `siphash` npm package is the reference (golden vectors prove we agree bit for bit), but it
 * allocates an object per 64-bit operation and a TextEncoder buffer per call (3.7 us/hash here).
 * The hot path runs a WebAssembly build with native 64-bit arithmetic (wasm/); this file's
 * JavaScript version, with the state in 32-bit halves, is the fallback where WebAssembly is not
 * allowed and for messages too long for the module's memory. Both encode UTF-8 exactly as
 * TextEncoder does (lone surrogates become U+FFFD), and both are checked against the vectors.
 */
import { MESSAGE_OFFSET } from './wasm/siphash24-wat.ts';
import { loadSipHashWasm, type SipHashWasm } from './wasm/siphash24-wasm.ts';

/** A 128-bit SipHash key as four little-endian 32-bit words (the reference package's layout). */
export type SipKey = readonly [number, number, number, number];

// UTF-8 bytes of the message being hashed. Reused across calls; grows only for long messages.
let scratch = new Uint8Array(256);

/**
 * Encodes `s` as UTF-8 into `buf` from `offset`, exactly as TextEncoder does (lone surrogates
 * become U+FFFD); returns the byte length. The caller guarantees room for 3 bytes per char.
 */
function encodeUtf8(s: string, buf: Uint8Array, offset: number): number {
  const n = s.length;
  let p = offset;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
      continue;
    }
    if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        buf[p++] = 0xf0 | (c >> 18);
        buf[p++] = 0x80 | ((c >> 12) & 63);
        buf[p++] = 0x80 | ((c >> 6) & 63);
        buf[p++] = 0x80 | (c & 63);
        continue;
      }
      c = 0xfffd;
    }
    buf[p++] = 0xe0 | (c >> 12);
    buf[p++] = 0x80 | ((c >> 6) & 63);
    buf[p++] = 0x80 | (c & 63);
  }
  return p - offset;
}

// Result of the last hash, high and low 32 bits (unsigned).
let outHi = 0,
  outLo = 0;

/**
 * One function with all state in locals: V8 keeps them in registers, where module-level state
 * would cost a context load and store per 32-bit operation (measured: 3-4x slower).
 */
function hashInto(key: SipKey, message: string): void {
  if (message.length * 3 > scratch.length) scratch = new Uint8Array(message.length * 3);
  const buf = scratch;
  const length = encodeUtf8(message, buf, 0);
  const k0l = key[0] | 0,
    k0h = key[1] | 0,
    k1l = key[2] | 0,
    k1h = key[3] | 0;
  let v0h = k0h ^ 0x736f6d65,
    v0l = k0l ^ 0x70736575;
  let v1h = k1h ^ 0x646f7261,
    v1l = k1l ^ 0x6e646f6d;
  let v2h = k0h ^ 0x6c796765,
    v2l = k0l ^ 0x6e657261;
  let v3h = k1h ^ 0x74656462,
    v3l = k1l ^ 0x79746573;
  const words = length >>> 3;
  // Words 0..words-1 are full 8-byte blocks; word `words` is the tail plus the length byte;
  // step words+1 is the finalisation (v2 ^= 0xff, then four rounds instead of two).
  for (let w = 0; w <= words + 1; w++) {
    let mh = 0,
      ml = 0,
      rounds = 2;
    if (w < words) {
      const p = w << 3;
      ml = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
      mh = buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24);
    } else if (w === words) {
      const p = w << 3;
      for (let i = 0; p + i < length; i++) {
        if (i < 4) ml |= buf[p + i]! << (i << 3);
        else mh |= buf[p + i]! << ((i - 4) << 3);
      }
      mh |= (length & 0xff) << 24;
    } else {
      v2l ^= 0xff;
      rounds = 4;
    }
    v3h ^= mh;
    v3l ^= ml;
    for (let r = 0; r < rounds; r++) {
      // 64-bit add as two int32 adds: the low word wrapped iff its unsigned sum is below an addend.
      // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
      let s = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (s >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
      v0l = s;
      let th = (v1h << 13) | (v1l >>> 19),
        tl = (v1l << 13) | (v1h >>> 19);
      v1h = th ^ v0h;
      v1l = tl ^ v0l;
      th = v0h;
      v0h = v0l;
      v0l = th;
      // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
      s = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (s >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
      v2l = s;
      th = (v3h << 16) | (v3l >>> 16);
      tl = (v3l << 16) | (v3h >>> 16);
      v3h = th ^ v2h;
      v3l = tl ^ v2l;
      // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
      s = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (s >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
      v0l = s;
      th = (v3h << 21) | (v3l >>> 11);
      tl = (v3l << 21) | (v3h >>> 11);
      v3h = th ^ v0h;
      v3l = tl ^ v0l;
      // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
      s = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (s >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
      v2l = s;
      th = (v1h << 17) | (v1l >>> 15);
      tl = (v1l << 17) | (v1h >>> 15);
      v1h = th ^ v2h;
      v1l = tl ^ v2l;
      th = v2h;
      v2h = v2l;
      v2l = th;
    }
    v0h ^= mh;
    v0l ^= ml;
  }
  outHi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  outLo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

// The WebAssembly build, instantiated on the first hash (not at import: importing the engine
// has no side effects, and a page that never buckets never compiles the module). Until then
// WASM_MAX_CHARS is -1, so sipHashBucket's one length test sends the first call to the slow path,
// which loads the module; from then on the hot path is that same single comparison, as before.
let wasm: SipHashWasm | undefined;
let loaded = false;
// Longest message (in UTF-16 units) whose UTF-8 fits the module's one page after the offset.
let WASM_MAX_CHARS = -1;

/**
 * Instantiates the WebAssembly build if that has not been tried yet (once per runtime; where
 * WebAssembly is unavailable or forbidden, bucketing stays on the JavaScript version) and says
 * which implementation bucketing uses. Hashing calls it by itself; call it to pay the
 * compilation (0.3-0.4 ms measured here) up front.
 */
export function initSipHash(): 'wasm' | 'js' {
  if (!loaded) {
    loaded = true;
    wasm = loadSipHashWasm();
    WASM_MAX_CHARS = wasm === undefined ? -1 : Math.floor((wasm.bytes.length - MESSAGE_OFFSET) / 3);
  }
  return wasm === undefined ? 'js' : 'wasm';
}

function hashWithWasm(key: SipKey, message: string): number {
  const length = encodeUtf8(message, wasm!.bytes, MESSAGE_OFFSET);
  return wasm!.bucket(key[0], key[1], key[2], key[3], length);
}

/**
 * SipHash-2-4 of the string's UTF-8 bytes, as 16 hex digits (high word first), like the
 * reference's hash_hex. `implementation` 'js' forces the fallback; 'wasm' (the default) uses the
 * module where this runtime has it.
 */
export function sipHash24Hex(key: SipKey, message: string, implementation: 'wasm' | 'js' = 'wasm'): string {
  if (implementation === 'wasm' && initSipHash() === 'wasm' && message.length <= WASM_MAX_CHARS) {
    hashWithWasm(key, message);
    const b = wasm!.bytes;
    outLo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    outHi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  } else {
    hashInto(key, message);
  }
  return outHi.toString(16).padStart(8, '0') + outLo.toString(16).padStart(8, '0');
}

// 2^32 mod 100000: lets us reduce the 64-bit hash mod 100000 exactly in doubles.
const TWO_POW_32_MOD_BUCKETS = 4294967296 % 100_000;

/**
 * The bucket (0..99999) of a string: the full 64-bit SipHash-2-4 value mod 100000 (the module
 * computes it in i64; the fallback exactly in doubles: (hi mod B) * (2^32 mod B) + lo < 2^53).
 */
export function sipHashBucket(key: SipKey, message: string): number {
  if (message.length <= WASM_MAX_CHARS) return hashWithWasm(key, message);
  return sipHashBucketCold(key, message);
}

// Kept out of sipHashBucket so that its body, which V8 inlines into the engine's split path,
// stays the size it had before the module was loaded lazily: the load costs the hot path nothing.
function sipHashBucketCold(key: SipKey, message: string): number {
  if (!loaded && initSipHash() === 'wasm' && message.length <= WASM_MAX_CHARS) return hashWithWasm(key, message);
  return sipHashBucketJs(key, message);
}

/** The JavaScript implementation's bucket, for the fallback path and its tests. */
export function sipHashBucketJs(key: SipKey, message: string): number {
  hashInto(key, message);
  return ((outHi % 100_000) * TWO_POW_32_MOD_BUCKETS + outLo) % 100_000;
}

/** Parses 32 hex digits into a SipKey: byte i of the key is hex pair i, words little-endian. */
export function saltToKey(salt: string): SipKey {
  const word = (w: number): number => {
    let v = 0;
    for (let b = 3; b >= 0; b--) v = (v << 8) | parseInt(salt.substr((w * 4 + b) * 2, 2), 16);
    return v >>> 0;
  };
  return [word(0), word(1), word(2), word(3)];
}
