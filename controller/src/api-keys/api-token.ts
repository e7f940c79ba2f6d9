import { randomBytes } from 'node:crypto';

/**
 * A new token: a readable prefix naming its kind, then 256 random bits. Stored only as its hash
 * (`hashApiKey` of `@flagship/evaluator/propagation`, the one hasher the evaluators share).
 */
export function generateApiToken(kind: 'sdk' | 'admin'): string {
  return `${kind === 'sdk' ? 'fss' : 'fsk'}_${randomBytes(32).toString('base64url')}`;
}
