import { createHash } from 'node:crypto';

/**
 * The stored form of an API token, and the one SHA-256 hasher of the product: the control plane
 * stores keys this way and publishes SDK keys' hashes in each snapshot envelope; an evaluator hashes
 * a presented SDK key the same way and compares. Plain SHA-256 is enough: tokens carry 256 random
 * bits, so there is nothing for a slow hash to protect (docs/security.md).
 */
export function hashApiKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
