/**
 * Authorization of the GET endpoints (snapshot, streams): a key, and, when the query names an
 * `environment`, the key's own environment (403 otherwise: a key reads only its environment).
 * A client key is refused (403) wherever `clientKeys` is 'refuse': it may evaluate over OFREP and
 * nothing else, never read the snapshot (targeting lists, segment members, salts).
 */
import type { EvaluatorRequest } from '../http/evaluator-request.ts';
import type { Replies } from '../http/reply.ts';
import type { SdkKeyAuth } from './sdk-key-auth.ts';

/** The environment `req` may read, or undefined after answering 401, 403 or 503. */
export function authorizeGet(
  req: EvaluatorRequest,
  query: string,
  auth: SdkKeyAuth,
  replies: Replies,
  clientKeys: 'refuse' | 'allow',
): string | undefined {
  const env = auth.authenticate(req);
  if (typeof env === 'number') {
    replies.unauthenticated(req, env);
    return undefined;
  }
  if (req.clientKey && clientKeys === 'refuse') {
    replies.json(req, 403, {
      error: 'a client key may only evaluate flags over OFREP; this needs a server SDK key',
    });
    return undefined;
  }
  const asked = query.length > 0 ? new URLSearchParams(query).get('environment') : null;
  if (asked !== null && asked !== env) {
    replies.json(req, 403, { error: `this SDK key is scoped to another environment than ${JSON.stringify(asked)}` });
    return undefined;
  }
  return env;
}
