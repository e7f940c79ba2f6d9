/**
 * The request object of the evaluator's public listener: node:http builds one per request from
 * this class (`createServer({ IncomingMessage })`), so the state every module below needs is
 * preallocated fields, not closures or side maps per request.
 */
import { IncomingMessage, type ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { FlagType } from '../../model/flag.ts';
import { ROUTE_OTHER } from '../observability/evaluator-metrics.ts';

/** A request with the per-request state of the router, the body reader, the reply path and the spans. */
export class EvaluatorRequest extends IncomingMessage {
  response: ServerResponse | undefined = undefined;
  /** performance.now() when the request reached the router. */
  started = 0;
  /** Index into ROUTES (observability/evaluator-metrics.ts). */
  route = ROUTE_OTHER;
  /** Holds an in-flight slot (taken when the body has ended, or at once for body-less GETs). */
  admitted = false;
  /** The raw SDK or client key that authenticated it ('' before). */
  sdkKey = '';
  /** The key is a client key: OFREP evaluation only (auth/sdk-key-auth.ts). */
  clientKey = false;
  /** sha256 of the key of a stream opened with a stream token ('' otherwise; auth/stream-token.ts). */
  keyHash = '';
  /** The origin the answer allows (Access-Control-Allow-Origin), '' for none (http/cors.ts). */
  corsOrigin = '';
  environment = '';
  flagKey = '';
  flagType: FlagType | undefined = undefined;
  first: Buffer | undefined = undefined;
  chunks: Buffer[] | undefined = undefined;
  size = 0;
  /** Answered (or handed over to a stream): nothing may write to it or count it again. */
  done = false;
  span: Span | undefined = undefined;
}
