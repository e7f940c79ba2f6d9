import { describe, expect, it } from 'vitest';
import { readStreamToken, redactStreamToken, signStreamToken, verifyStreamToken } from './stream-token.ts';

const SECRET = Buffer.alloc(32, 7).toString('base64url');
const OTHER = Buffer.alloc(32, 8).toString('base64url');
const claims = { environment: 'shop.prod', expiresAt: 1_000, keyHash: 'a'.repeat(64) };

describe('stream tokens', () => {
  it('round-trip their claims and verify until they expire', () => {
    const token = signStreamToken(SECRET, claims);
    expect(readStreamToken(token)).toEqual(claims);
    expect(verifyStreamToken(token, SECRET, 999)).toBeUndefined();
    expect(verifyStreamToken(token, SECRET, 1_000)).toBeUndefined();
    expect(verifyStreamToken(token, SECRET, 1_001)).toBe('expired');
  });

  it('refuse another secret, any changed part, and a moved expiry', () => {
    const token = signStreamToken(SECRET, claims);
    expect(verifyStreamToken(token, OTHER, 0)).toBe('bad-signature');
    const later = signStreamToken(SECRET, { ...claims, expiresAt: 9_999 });
    const forged = `${later.split('.').slice(0, 4).join('.')}.${token.split('.')[4]}`;
    expect(verifyStreamToken(forged, SECRET, 0)).toBe('bad-signature');
    const otherKey = token.replace('a'.repeat(64), 'b'.repeat(64));
    expect(verifyStreamToken(otherKey, SECRET, 0)).toBe('bad-signature');
    expect(verifyStreamToken(token.slice(0, -2), SECRET, 0)).toBe('bad-signature');
    expect(verifyStreamToken('v1.x.1.2.3', SECRET, 0)).toBe('malformed');
    expect(verifyStreamToken('', SECRET, 0)).toBe('malformed');
  });

  it('are redacted from URLs and log lines', () => {
    const token = signStreamToken(SECRET, claims);
    expect(redactStreamToken(`/ofrep/v1/stream?token=${token}`)).toBe('/ofrep/v1/stream?token=***');
    expect(redactStreamToken(`http://h/ofrep/v1/stream?a=1&token=${token}&b=2`)).toBe(
      'http://h/ofrep/v1/stream?a=1&token=***&b=2',
    );
  });
});
