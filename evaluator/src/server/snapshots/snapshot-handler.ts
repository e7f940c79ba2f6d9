/**
 * GET|HEAD /v1/snapshot: the effective snapshot (kills applied) of the key's environment, for SDKs
 * that evaluate in-process (server SDK keys only: a client key gets 403), with a strong ETag
 * (served-environment.ts) for conditional requests.
 *
 * `?since=N` (docs/api.md, "Deltas for SDKs"): an SDK holding version N asks for what changed
 * since. When the follower still holds the whole chain of deltas from N to the served version,
 * and that delta is smaller than the snapshot, the answer is the delta document (it has `base`;
 * a snapshot has none), with the ETag of the served state as for a full answer. Otherwise the
 * full snapshot, as without `since`. An `If-None-Match` naming the served ETag is a 304 first.
 */
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { authorizeGet } from '../auth/authorize-get.ts';
import type { SdkKeyAuth } from '../auth/sdk-key-auth.ts';
import { etagMatches } from '../http/etag.ts';
import type { EvaluatorRequest } from '../http/evaluator-request.ts';
import { JSON_TYPE, type Replies } from '../http/reply.ts';
import type { ServedEnvironment } from './served-environment.ts';

/** What the handler needs from the server. */
export interface SnapshotHandlerOptions {
  environments: {
    get(environment: string): ServedEnvironment | undefined;
    /** The effective delta from `version` to the served state, when the whole chain is held. */
    deltaSince?(environment: string, version: number): SnapshotDelta | undefined;
  };
  auth: SdkKeyAuth;
  replies: Replies;
  /** Counts the answers with a body, by kind. */
  metrics?: { snapshotAnswer(kind: 'delta' | 'full'): void };
}

/** What a `since` request is answered with: the delta's JSON, or the full snapshot. */
export type SinceAnswer = { kind: 'delta'; json: string } | { kind: 'full' };

/** Answers admitted snapshot requests; `query` is the URL's query string without `?`. */
export function createSnapshotHandler(o: SnapshotHandlerOptions): (req: EvaluatorRequest, query: string) => void {
  return (req, query) => {
    const env = authorizeGet(req, query, o.auth, o.replies, 'refuse');
    if (env === undefined) return;
    const since = parseSince(query);
    if (since === 'invalid') {
      o.replies.json(req, 400, { error: 'since: expected a non-negative integer (a snapshot version)' });
      return;
    }
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
    const answer =
      since === undefined
        ? FULL
        : answerSince(state, since, match, o.environments.deltaSince?.(env, since) ?? undefined);
    o.metrics?.snapshotAnswer(answer.kind);
    const respond = (body: string | undefined) =>
      o.replies.fixed(req, 200, ['Content-Type', JSON_TYPE, 'ETag', etag, 'Cache-Control', 'no-cache'], body);
    if (req.method === 'HEAD') respond(undefined);
    else if (answer.kind === 'delta') respond(answer.json);
    else {
      // A large environment's JSON is built between requests the first time it is asked for.
      const body = state.snapshotJsonSoon();
      if (typeof body === 'string') respond(body);
      else body.then(respond, (e: unknown) => o.replies.failed(req, e));
    }
  };
}

const FULL: SinceAnswer = { kind: 'full' };

/** `since` from the query: undefined when absent, 'invalid' when not a non-negative integer. */
export function parseSince(query: string): number | undefined | 'invalid' {
  if (query.length === 0) return undefined;
  const raw = new URLSearchParams(query).get('since');
  if (raw === null) return undefined;
  if (!/^\d{1,15}$/.test(raw)) return 'invalid';
  return Number(raw);
}

/**
 * The decision for `?since=N` once the 304 is ruled out: the delta when there is one from N, the
 * client's `If-None-Match` (when sent) is the ETag of that base state (so a client holding N with
 * other kills gets the full snapshot), and the delta is smaller than the snapshot.
 */
export function answerSince(
  state: Pick<ServedEnvironment, 'version' | 'etag' | 'effective' | 'view' | 'snapshotJsonBuilt'> & {
    readonly snapshotJson: string;
  },
  since: number,
  ifNoneMatch: string | undefined,
  delta: SnapshotDelta | undefined,
): SinceAnswer {
  if (delta === undefined || delta.base !== since || delta.version !== state.version) return FULL;
  if (ifNoneMatch !== undefined) {
    const base = deltaBaseEtag(state.etag, state.version, since);
    if (base === undefined || !etagMatches(ifNoneMatch, base)) return FULL;
  }
  const json = JSON.stringify(delta);
  // Every entry of a delta is either a definition the snapshot also holds or a removal's `null`
  // (shorter than any definition), so a delta touching at most half of the entries is the
  // smaller document without building the snapshot's JSON (~5 MB for 10,000 flags: tens of ms
  // on the event loop). Past that, the two are measured when the snapshot's JSON is built or
  // cheap to build (a small environment); a large delta of a large environment is answered in full.
  const flags = state.view.engine.flagKeys.length;
  const entries = flags + Object.keys(state.effective.segments).length;
  const touched = Object.keys(delta.flags).length + Object.keys(delta.segments).length;
  if (touched * 2 <= entries) return { kind: 'delta', json };
  const full = state.snapshotJsonBuilt ?? (flags <= 1_000 ? state.snapshotJson : undefined);
  if (full === undefined) return FULL;
  return Buffer.byteLength(json) < Buffer.byteLength(full) ? { kind: 'delta', json } : FULL;
}

/**
 * The ETag of the state a delta from `base` starts at, given the served one's: a delta exists
 * only between states with the same kills (served-environment.ts), so the two ETags differ only
 * in the version they start with (`"7"` -> `"5"`, `"7-killed-ab12"` -> `"5-killed-ab12"`).
 */
export function deltaBaseEtag(etag: string, version: number, base: number): string | undefined {
  const head = `"${version}`;
  if (etag === `${head}"`) return `"${base}"`;
  if (etag.startsWith(`${head}-`)) return `"${base}${etag.slice(head.length)}`;
  return undefined;
}
