/**
 * Authorization of an OFREP event stream opened with a stream token (stream-token.ts) instead of
 * a key header: the token must be signed with its environment's current secret, unexpired, and
 * issued to a key the environment still lists (a revoked key's tokens stop at the swap that drops
 * it). Every failure is the same 401 to the client; which one it was is not its business.
 */
import type { EvaluatorRequest } from '../http/evaluator-request.ts';
import type { Replies } from '../http/reply.ts';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';
import { readStreamToken, verifyStreamToken } from './stream-token.ts';

/** The environment the token opens a stream of, or undefined after answering 401 (503 while loading). */
export function authorizeStreamToken(
  req: EvaluatorRequest,
  token: string,
  environments: { get(environment: string): ServedEnvironment | undefined; isReady(): boolean },
  replies: Replies,
  nowSeconds: number,
): string | undefined {
  const claims = readStreamToken(token);
  const state = claims === undefined ? undefined : environments.get(claims.environment);
  if (claims !== undefined && state === undefined && !environments.isReady()) {
    replies.unauthenticated(req, 503);
    return undefined;
  }
  const secret = state?.clients.streamSecret;
  if (
    claims === undefined ||
    state === undefined ||
    secret === undefined ||
    verifyStreamToken(token, secret, nowSeconds) !== undefined ||
    !state.streamKeyHashes.has(claims.keyHash)
  ) {
    replies.json(req, 401, {
      errorCode: 'GENERAL',
      errorDetails: 'the stream token is invalid or expired; evaluate again for a new one',
    });
    return undefined;
  }
  req.keyHash = claims.keyHash;
  req.clientKey = state.clientKeyHashes.has(claims.keyHash);
  return claims.environment;
}
