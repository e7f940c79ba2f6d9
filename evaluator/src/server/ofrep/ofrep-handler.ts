/**
 * The OFREP evaluation handler: POST /ofrep/v1/evaluate/flags/{key} (single) and
 * /ofrep/v1/evaluate/flags (bulk), once routed. Authenticates the key (SDK or client; the CORS
 * origin its answer allows follows from it, http/cors.ts), starts the span, reads
 * the body, takes an in-flight slot when the body has ended (docs/operations.md, "Evaluator
 * admission"), evaluates against the environment's current engine view and hands the answer to
 * the reply path. The reply objects are preallocated per server: the hot path builds no objects
 * of its own beyond what node:http needs.
 */
import type { Admission } from '../admission.ts';
import type { SdkKeyAuth } from '../auth/sdk-key-auth.ts';
import { createBodyReader, takeBody, type BodyReader } from '../http/body-reader.ts';
import { etagMatches } from '../http/etag.ts';
import type { EvaluatorRequest } from '../http/evaluator-request.ts';
import { allowOriginFor, allowOriginUnauthenticated, type OriginDirectory } from '../http/cors.ts';
import type { Replies } from '../http/reply.ts';
import { ROUTE_OFREP_SINGLE } from '../observability/evaluator-metrics.ts';
import { startOfrepSpan } from '../observability/request-spans.ts';
import { tracingActive } from '../observability/tracing.ts';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';
import type { EventStreamAdvert } from './event-stream-advert.ts';
import { errorReply, evaluateBulk, evaluateSingle, type BulkReply, type OfrepReply } from './ofrep-responses.ts';
import { BodyProblem, parseRequestContext } from './request-context.ts';

const EMPTY = Buffer.alloc(0);

/** What the handler needs from the server. */
export interface OfrepHandlerOptions {
  /** The environments being served (the snapshot follower). */
  environments: { get(environment: string): ServedEnvironment | undefined };
  auth: SdkKeyAuth;
  admission: Pick<Admission, 'admit' | 'reason'>;
  replies: Replies;
  maxBodyBytes: number;
  maxContextDepth: number;
  /** Builds the eventStreams fragment of bulk answers (event-stream-advert.ts). */
  eventStreams: EventStreamAdvert;
  /** Origins any environment allows, for the CORS headers of answers before a key is known. */
  origins: OriginDirectory;
}

/** Answers routed OFREP evaluation requests. */
export class OfrepHandler {
  private readonly reply: OfrepReply = { status: 0, body: '', bytes: 0, etag: undefined };
  private readonly bulkReply: BulkReply = { body: EMPTY, etag: '' };
  private readonly body: BodyReader;

  constructor(private readonly o: OfrepHandlerOptions) {
    this.body = createBodyReader({
      maxBodyBytes: o.maxBodyBytes,
      replies: o.replies,
      onEnd: (req) => this.onBody(req),
    });
  }

  /** Starts a routed request (route, flag key and type set): authentication, span, body. */
  begin(req: EvaluatorRequest): void {
    const env = this.o.auth.authenticate(req);
    if (typeof env === 'number') {
      allowOriginUnauthenticated(req, this.o.origins);
      this.o.replies.unauthenticated(req, env);
      return;
    }
    req.environment = env;
    // Set before the body is read, so a 413 or 429 is readable by the page too.
    allowOriginFor(req, this.o.environments.get(env)?.allowedOrigins);
    if (tracingActive(req.started)) startOfrepSpan(req);
    // No slot yet: the request is admitted (or shed) when its body has ended, in onBody.
    this.body.read(req);
  }

  private onBody(req: EvaluatorRequest): void {
    const { admission, replies } = this.o;
    if (!admission.admit(req)) {
      replies.shed(req, admission.reason());
      return;
    }
    this.answer(req, takeBody(req));
  }

  private answer(req: EvaluatorRequest, body: Buffer): void {
    const { replies } = this.o;
    const reply = this.reply;
    const state = this.o.environments.get(req.environment);
    const single = req.route === ROUTE_OFREP_SINGLE;
    const key = single ? req.flagKey : undefined;
    if (state === undefined) {
      // The key's environment was dropped between auth and now: not the client's fault, retryable.
      errorReply(key, 'GENERAL', 'environment has no snapshot loaded', reply, 503);
      replies.ofrep(req, reply, undefined);
      return;
    }
    const context = parseRequestContext(body, this.o.maxContextDepth);
    if (context instanceof BodyProblem) {
      errorReply(key, context.errorCode, context.details, reply);
      replies.ofrep(req, reply, undefined);
      return;
    }
    if (single) {
      evaluateSingle(state.view, req.flagKey, context, req.flagType, reply);
      replies.ofrep(req, reply, undefined);
      return;
    }
    const bulk = this.bulkReply;
    evaluateBulk(state.view, context, this.o.eventStreams.fragment(req, state), bulk);
    const etag = bulk.etag;
    const out = bulk.body;
    bulk.body = EMPTY;
    const match = req.headers['if-none-match'];
    if (match !== undefined && etagMatches(match, etag)) {
      replies.fixed(req, 304, ['ETag', etag, 'Cache-Control', 'no-cache'], undefined);
      return;
    }
    replies.bulk(req, out, etag, state);
  }
}
