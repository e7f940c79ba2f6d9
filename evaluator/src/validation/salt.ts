/** Per-flag bucketing salts: 128-bit SipHash keys written as 32 lowercase hex digits. */

/** A valid salt: exactly 32 lowercase hex digits. */
export const SALT_PATTERN = /^[0-9a-f]{32}$/;

interface WebCrypto {
  getRandomValues(array: Uint8Array): Uint8Array;
}

/**
 * A new salt. By default from `globalThis.crypto.getRandomValues` (browsers, Node >= 19, Deno,
 * workers); throws when that is missing rather than fall back to a weaker source silently.
 * `random` (values in [0, 1), like `Math.random`) makes salts reproducible in tests; each hex
 * digit takes one call, and out-of-range results are clamped.
 */
export function generateSalt(random?: () => number): string {
  let out = '';
  if (random !== undefined) {
    for (let i = 0; i < 32; i++) {
      const r = random();
      const digit = Number.isFinite(r) ? Math.min(15, Math.max(0, Math.floor(r * 16))) : 0;
      out += digit.toString(16);
    }
    return out;
  }
  const crypto = (globalThis as { crypto?: Partial<WebCrypto> }).crypto;
  if (crypto === undefined || typeof crypto.getRandomValues !== 'function') {
    throw new Error('generateSalt: globalThis.crypto.getRandomValues is not available; pass a random source');
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
