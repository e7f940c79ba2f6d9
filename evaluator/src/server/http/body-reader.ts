/**
 * Reads request bodies up to `maxBodyBytes` without a closure per request: the listeners are
 * created once per server and find their request as `this`. A body over the limit (announced or
 * sent) is answered 413 at once and no longer read. How long a body may take is not here: the
 * listener's request deadline bounds it (evaluator-server.ts).
 */
import type { EvaluatorRequest } from './evaluator-request.ts';
import type { Replies } from './reply.ts';

const EMPTY = Buffer.alloc(0);

/** Reads the body of a routed request, then calls `onEnd(req)`; the body is {@link takeBody}'s. */
export interface BodyReader {
  read(req: EvaluatorRequest): void;
}

export interface BodyReaderOptions {
  maxBodyBytes: number;
  replies: Replies;
  /** The body has fully arrived (never called for an answered request); a throw answers 500. */
  onEnd(req: EvaluatorRequest): void;
}

/** Creates the body reader of one server. */
export function createBodyReader(o: BodyReaderOptions): BodyReader {
  const { maxBodyBytes, replies } = o;

  function onData(this: EvaluatorRequest, chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > maxBodyBytes) {
      tooLarge(this);
      return;
    }
    if (this.first === undefined) this.first = chunk;
    else if (this.chunks === undefined) this.chunks = [this.first, chunk];
    else this.chunks.push(chunk);
  }

  function onEnd(this: EvaluatorRequest): void {
    if (this.done) return;
    try {
      o.onEnd(this);
    } catch (e) {
      replies.failed(this, e);
    }
  }

  function onError(this: EvaluatorRequest): void {
    replies.abandon(this);
  }

  /** 413, and stop reading: the connection is closed after the answer (reply.ts). */
  function tooLarge(req: EvaluatorRequest): void {
    replies.tooLarge(req, maxBodyBytes);
    req.removeListener('data', onData);
    req.pause();
  }

  return {
    read(req) {
      const length = req.headers['content-length'];
      if (length !== undefined && Number(length) > maxBodyBytes) {
        tooLarge(req);
        return;
      }
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
    },
  };
}

/** The body that arrived, as one buffer (the chunks are let go). */
export function takeBody(req: EvaluatorRequest): Buffer {
  const body = req.chunks !== undefined ? Buffer.concat(req.chunks) : (req.first ?? EMPTY);
  req.first = undefined;
  req.chunks = undefined;
  return body;
}
