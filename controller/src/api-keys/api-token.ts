import { randomBytes } from 'node:crypto';

/**
 * A new token: a readable prefix naming its kind, then 256 random bits. Stored only as its hash
 * (`hashApiKey` of `@flagship/evaluator/propagation`, the one hasher the evaluators share).
 */
export function generateApiToken(kind: 'sdk' | 'client' | 'admin'): string {
  return `${PREFIX[kind]}_${randomBytes(32).toString('base64url')}`;
}

/** fss_ server SDK, fsc_ browser client (public by design: it can only evaluate), fsk_ admin API. */
const PREFIX = { sdk: 'fss', client: 'fsc', admin: 'fsk' } as const;
