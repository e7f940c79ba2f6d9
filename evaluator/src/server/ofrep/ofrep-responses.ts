/**
 * OFREP response bodies built from cached fragments: a single answer is its result's fragment;
 * a bulk answer is `{"flags":[...]}` joined from fragments, with an ETag folded from the
 * fragments' precomputed hashes. No JSON.stringify per request.
 */
import type { FlagType } from '../../model/flag.ts';
import type { ErrorCode, EvaluationContext } from '../../model/result.ts';
import type { EngineView, ResultInfo } from './engine-view.ts';
import { ERROR_STATUS } from './error-status.ts';

/** A response ready to write. */
export interface OfrepReply {
  status: number;
  body: string;
  bytes: number;
  etag: string | undefined;
}

/** A single-flag evaluation: the result's fragment and status from the one error table. */
export function evaluateSingle(
  view: EngineView,
  flagKey: string,
  context: EvaluationContext,
  type: FlagType | undefined,
  out: OfrepReply,
): void {
  const info = view.info(view.engine.evaluate(flagKey, context, type));
  view.count(info);
  out.status = info.status;
  out.body = info.json;
  out.bytes = info.bytes;
  out.etag = undefined;
}

/** A bulk answer ready to write: the body as bytes. */
export interface BulkReply {
  body: Buffer;
  etag: string;
}

const BULK_OPEN = Buffer.from('{"flags":[');
const COMMA = 0x2c;

/**
 * A bulk evaluation of every flag. `eventStreams` is a ready UTF-8 fragment
 * (`,"eventStreams":[...]`) or empty. The body is assembled by copying the cached UTF-8
 * fragments into one buffer. The ETag covers the flags only, so it is equal across evaluator
 * processes serving the same snapshot.
 */
export function evaluateBulk(view: EngineView, context: EvaluationContext, eventStreams: Buffer, out: BulkReply): void {
  const results = view.engine.evaluateAll(context);
  const n = results.length;
  const infos = new Array<ResultInfo>(n);
  let bytes = BULK_OPEN.length + Math.max(0, n - 1) + 1 + eventStreams.length + 1;
  let h1 = 0x811c9dc5 ^ n;
  let h2 = 5381;
  for (let i = 0; i < n; i++) {
    const info = view.info(results[i]!);
    view.count(info);
    infos[i] = info;
    bytes += info.bytes;
    h1 = Math.imul(h1 ^ info.h1, 0x01000193);
    h2 = (Math.imul(h2, 33) + info.h2) | 0;
  }
  const body = Buffer.allocUnsafe(bytes);
  let at = BULK_OPEN.copy(body, 0);
  for (let i = 0; i < n; i++) {
    if (i > 0) body[at++] = COMMA;
    at += infos[i]!.utf8.copy(body, at);
  }
  body[at++] = 0x5d; // ]
  at += eventStreams.copy(body, at);
  body[at] = 0x7d; // }
  out.body = body;
  out.etag = `"${hex(h1)}${hex(h2)}"`;
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** An OFREP error body for a request-level problem: `{key?, errorCode, errorDetails}`. */
export function errorReply(
  key: string | undefined,
  errorCode: ErrorCode,
  details: string,
  out: OfrepReply,
  status = ERROR_STATUS[errorCode],
): void {
  const body =
    key === undefined
      ? JSON.stringify({ errorCode, errorDetails: details })
      : JSON.stringify({ key, errorCode, errorDetails: details });
  out.status = status;
  out.body = body;
  out.bytes = Buffer.byteLength(body);
  out.etag = undefined;
}
