/**
 * GET|HEAD /v1/snapshot: the effective snapshot (kills applied) of the key's environment, for SDKs
 * that evaluate in-process (server SDK keys only: a client key gets 403), with a strong ETag (served-environment.ts) for conditional requests.
 */
import { authorizeGet } from '../auth/authorize-get.ts';
import type { SdkKeyAuth } from '../auth/sdk-key-auth.ts';
import { etagMatches } from '../http/etag.ts';
import type { EvaluatorRequest } from '../http/evaluator-request.ts';
import { JSON_TYPE, type Replies } from '../http/reply.ts';
import type { ServedEnvironment } from './served-environment.ts';

/** What the handler needs from the server. */
export interface SnapshotHandlerOptions {
  environments: { get(environment: string): ServedEnvironment | undefined };
  auth: SdkKeyAuth;
  replies: Replies;
}

/** Answers admitted snapshot requests; `query` is the URL's query string without `?`. */
export function createSnapshotHandler(o: SnapshotHandlerOptions): (req: EvaluatorRequest, query: string) => void {
  return (req, query) => {
    const env = authorizeGet(req, query, o.auth, o.replies, 'refuse');
    if (env === undefined) return;
    const state = o.environments.get(env);
    if (state === undefined) {
      o.replies.json(req, 503, { error: 'no snapshot loaded yet' }, ['Retry-After', '1']);
      return;
    }
    const etag = state.etag;
    const match = req.headers['if-none-match'];
    if (match !== undefined && etagMatches(match, etag)) {
      o.replies.fixed(req, 304, ['ETag', etag, 'Cache-Control', 'no-cache'], undefined);
      return;
    }
    o.replies.fixed(
      req,
      200,
      ['Content-Type', JSON_TYPE, 'ETag', etag, 'Cache-Control', 'no-cache'],
      req.method === 'HEAD' ? undefined : state.snapshotJson,
    );
  };
}
