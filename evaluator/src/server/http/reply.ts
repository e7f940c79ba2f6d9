/**
 * The one reply path of the public listener. Every answer goes through {@link Replies}, which
 * owns the request's bookkeeping: the `done` mark (an answered request is never written or
 * counted again), the in-flight slot given back (admission.ts), the latency histogram, the
 * request span, and the log line of a failed request. Handlers decide what to answer; this
 * module writes it.
 *
 * Every answer carries the CORS headers its request earned (cors.ts). Three writers, by cost: {@link Replies.ofrep} and {@link Replies.bulk} on the hot path (header
 * arrays of fixed shape, bodies built from cached fragments), {@link Replies.fixed} for the rest.
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../../model/result.ts';
import type { Admission, ShedReason } from '../admission.ts';
import type { Logger } from '../logger.ts';
import { ROUTE_OFREP_SINGLE, type EvaluatorMetrics } from '../observability/evaluator-metrics.ts';
import { endRequestSpan } from '../observability/request-spans.ts';
import { errorReply, type OfrepReply } from '../ofrep/ofrep-responses.ts';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';
import type { StreamRefusal } from '../stream/sse-hub.ts';
import { redactStreamToken } from '../auth/stream-token.ts';
import { appendCorsHeaders } from './cors.ts';
import type { EvaluatorRequest } from './evaluator-request.ts';

export const JSON_TYPE = 'application/json';

/** What the reply path needs: where slots go back, where requests are counted and logged. */
export interface ReplyContext {
  admission: Pick<Admission, 'releaseOf'>;
  metrics: Pick<EvaluatorMetrics, 'observe' | 'shedRequest'>;
  logger: Logger;
}

/** Writes every answer of the public listener and does its bookkeeping. */
export class Replies {
  /** Scratch reply for request-level OFREP errors (one per server: nothing is allocated per answer). */
  private readonly scratch: OfrepReply = { status: 0, body: '', bytes: 0, etag: undefined };

  constructor(private readonly o: ReplyContext) {}

  /** A single-flag answer or a request-level OFREP error, as built by ofrep-responses.ts. */
  ofrep(req: EvaluatorRequest, r: OfrepReply, state: ServedEnvironment | undefined): void {
    if (!this.settle(req)) return;
    const headers =
      r.etag === undefined
        ? ['Content-Type', JSON_TYPE, 'Content-Length', String(r.bytes)]
        : ['Content-Type', JSON_TYPE, 'Content-Length', String(r.bytes), 'ETag', r.etag, 'Cache-Control', 'no-cache'];
    const res = req.response!;
    res.writeHead(r.status, appendCorsHeaders(req, headers));
    res.end(r.body);
    this.record(req, r.status, state);
  }

  /** 200 with a bulk body and its ETag. */
  bulk(req: EvaluatorRequest, body: Buffer, etag: string, state: ServedEnvironment): void {
    if (!this.settle(req)) return;
    const res = req.response!;
    res.writeHead(
      200,
      appendCorsHeaders(req, [
        'Content-Type',
        JSON_TYPE,
        'Content-Length',
        String(body.length),
        'ETag',
        etag,
        'Cache-Control',
        'no-cache',
      ]),
    );
    res.end(body);
    this.record(req, 200, state);
  }

  /**
   * A fixed status, headers and optional body (non-hot paths). Answered before its body has
   * arrived (401, 413), the connection closes after the answer: the rest of the body would
   * otherwise be read, or trickled until the deadline, for nothing.
   */
  fixed(req: EvaluatorRequest, status: number, headers: string[], body: string | undefined): void {
    if (!this.settle(req)) return;
    const res = req.response!;
    if (body !== undefined) headers.push('Content-Length', String(Buffer.byteLength(body)));
    // Without keep-alive node:http closes the socket once the answer is written.
    if (bodyPending(req)) res.shouldKeepAlive = false;
    res.writeHead(status, appendCorsHeaders(req, headers));
    res.end(body);
    this.record(req, status, undefined);
  }

  json(req: EvaluatorRequest, status: number, value: unknown, extra: string[] = []): void {
    this.fixed(req, status, ['Content-Type', JSON_TYPE, ...extra], JSON.stringify(value));
  }

  /** `{"error": text}`: 404s and 405s of paths that are not OFREP evaluations. */
  plain(req: EvaluatorRequest, status: number, text: string): void {
    this.json(req, status, { error: text });
  }

  /** 413 with the OFREP shape; the connection is closed after it. */
  tooLarge(req: EvaluatorRequest, maxBodyBytes: number): void {
    const body = this.ofrepError(req, 'PARSE_ERROR', `request body is larger than ${maxBodyBytes} bytes`, 413);
    this.fixed(req, 413, ['Content-Type', JSON_TYPE, 'Connection', 'close'], body);
  }

  /** 401 with a Bearer challenge, or 503 (retry in 1 s) while no snapshot is loaded. */
  unauthenticated(req: EvaluatorRequest, status: 401 | 503): void {
    if (status === 503) {
      const body = this.ofrepError(req, 'GENERAL', 'no snapshot loaded yet; retry shortly', 503);
      this.fixed(req, 503, ['Content-Type', JSON_TYPE, 'Retry-After', '1'], body);
    } else {
      const body = this.ofrepError(
        req,
        'GENERAL',
        'missing or unknown SDK key (Authorization: Bearer <key> or X-API-Key)',
        status,
      );
      this.fixed(req, status, ['Content-Type', JSON_TYPE, 'WWW-Authenticate', 'Bearer'], body);
    }
  }

  /** 429 for a request admission refused (in-flight limit or event-loop lag). */
  shed(req: EvaluatorRequest, reason: ShedReason): void {
    this.o.metrics.shedRequest(reason);
    this.fixed(
      req,
      429,
      ['Content-Type', JSON_TYPE, 'Retry-After', '1'],
      '{"errorCode":"GENERAL","errorDetails":"evaluator overloaded; retry after 1 s"}',
    );
  }

  /** 429 for a stream over one of the stream caps. */
  refuseStream(req: EvaluatorRequest, refusal: StreamRefusal, details: string, retryAfterSeconds: number): void {
    this.o.metrics.shedRequest(refusal);
    this.json(req, 429, { errorCode: 'GENERAL', errorDetails: details }, ['Retry-After', String(retryAfterSeconds)]);
  }

  /** The request becomes a stream: answered as far as the bookkeeping goes, its slot given back. */
  handOver(req: EvaluatorRequest): void {
    this.settle(req);
  }

  /** The client went away before its body ended. */
  abandon(req: EvaluatorRequest): void {
    if (!this.settle(req)) return;
    if (req.span !== undefined) endRequestSpan(req, 499, undefined);
  }

  /** A handler threw: logged, and answered 500 unless an answer has begun (then the socket goes). */
  failed(req: EvaluatorRequest, e: unknown): void {
    // The URL of a stream opened with a token holds a credential (OFREP ADR-0008: never logged).
    const url = req.url === undefined ? undefined : redactStreamToken(req.url);
    this.o.logger.error('request failed', { error: (e as Error)?.stack ?? String(e), url });
    if (req.done) return;
    const res = req.response!;
    if (res.headersSent) {
      this.settle(req);
      res.destroy();
      return;
    }
    const body = this.ofrepError(req, 'GENERAL', 'internal error', 500);
    this.fixed(req, 500, ['Content-Type', JSON_TYPE], body);
  }

  /** Marks `req` answered and gives back its slot; false when it was answered already. */
  private settle(req: EvaluatorRequest): boolean {
    if (req.done) return false;
    req.done = true;
    this.o.admission.releaseOf(req);
    return true;
  }

  /** After the answer is written: latency by route and status, and the span's end. */
  private record(req: EvaluatorRequest, status: number, state: ServedEnvironment | undefined): void {
    this.o.metrics.observe(req.route, status, (performance.now() - req.started) / 1000);
    if (req.span !== undefined) endRequestSpan(req, status, state);
  }

  /** An OFREP error body naming the flag of a single-flag request. */
  private ofrepError(req: EvaluatorRequest, code: ErrorCode, details: string, status: number): string {
    errorReply(req.route === ROUTE_OFREP_SINGLE ? req.flagKey : undefined, code, details, this.scratch, status);
    return this.scratch.body;
  }
}

/** True while a request has a body (Content-Length > 0, or chunked) that has not fully arrived. */
function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
