import { createHash, randomBytes } from 'node:crypto';

/**
 * The stored form of an API token. Plain SHA-256 is enough: tokens are 256 bits of randomness,
 * so there is nothing for a slow hash to protect. The evaluator hashes presented SDK keys the
 * same way and compares with the hashes in its snapshot.
 */
export function hashApiKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new token: a readable prefix naming its kind, then 256 random bits. */
export function generateApiToken(kind: 'sdk' | 'admin'): string {
  return `${kind === 'sdk' ? 'fss' : 'fsk'}_${randomBytes(32).toString('base64url')}`;
}
