/**
 * The OFREP evaluation handler: POST /ofrep/v1/evaluate/flags/{key} (single) and
 * /ofrep/v1/evaluate/flags (bulk), once routed. Authenticates the SDK key, starts the span, reads
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
import type { Replies } from '../http/reply.ts';
import { ROUTE_OFREP_SINGLE } from '../observability/evaluator-metrics.ts';
import { startOfrepSpan } from '../observability/request-spans.ts';
import { tracingActive } from '../observability/tracing.ts';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';
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
  /** `host:port` advertised in bulk answers' eventStreams when a request has no Host header. */
  defaultHost: string;
}

/** Answers routed OFREP evaluation requests. */
export class OfrepHandler {
  private readonly reply: OfrepReply = { status: 0, body: '', bytes: 0, etag: undefined };
  private readonly bulkReply: BulkReply = { body: EMPTY, etag: '' };
  private readonly body: BodyReader;
  private eventStreamsHost = '';
  private eventStreamsJson = EMPTY;

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
      this.o.replies.unauthenticated(req, env);
      return;
    }
    req.environment = env;
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
    evaluateBulk(state.view, context, this.eventStreamsFor(req), bulk);
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

  /** The eventStreams fragment of bulk answers: the OFREP SSE stream on the host the client used. */
  private eventStreamsFor(req: EvaluatorRequest): Buffer {
    const host = req.headers.host ?? this.o.defaultHost;
    if (host !== this.eventStreamsHost) {
      this.eventStreamsHost = host;
      this.eventStreamsJson = /^[A-Za-z0-9.:[\]-]+$/.test(host)
        ? Buffer.from(
            `,"eventStreams":[{"type":"sse","url":${JSON.stringify(`http://${host}/ofrep/v1/stream`)},"inactivityDelaySec":120}]`,
          )
        : EMPTY;
    }
    return this.eventStreamsJson;
  }
}
