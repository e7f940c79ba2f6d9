import type { NextFunction, Request, Response } from 'express';
import { BUSY_RETRY_AFTER_SECONDS, DatabaseBusyError, isDatabaseBusy } from '../db/busy-wait.ts';
import { ApiError, databaseBusy } from './api-error.ts';

/** Maps body-parser and express errors (which carry `status` and `type`) onto our codes. */
function fromFramework(err: { status?: number; type?: string; message?: string }): ApiError | undefined {
  if (err.type === 'entity.too.large') return new ApiError(413, 'BODY_TOO_LARGE', 'the body is larger than this route accepts');
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', err.message ?? 'unsupported encoding');
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) return new ApiError(400, 'INVALID_REQUEST', err.message ?? 'bad request');
  return undefined;
}

/** The one place errors become responses: `{ error: { code, message, requestId, ... } }`. */
export function errorHandler(log: (message: string, error: unknown) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A write that could not get SQLite's lock in time (or a statement outside the unit of work
    // refused it) wrote nothing: the client may simply try again.
    const busy = error instanceof DatabaseBusyError || isDatabaseBusy(error) ? databaseBusy(BUSY_RETRY_AFTER_SECONDS) : undefined;
    const api = error instanceof ApiError ? error : busy ?? fromFramework((error ?? {}) as { status?: number; type?: string });
    const requestId = (res.locals.requestId as string | undefined) ?? '';
    if (busy && !(error instanceof ApiError)) log(`database busy in ${req.method} ${req.originalUrl} (request ${requestId}): answered 503`, error);
    if (!api) log(`unhandled error in ${req.method} ${req.originalUrl} (request ${requestId})`, error);
    const e = api ?? new ApiError(500, 'INTERNAL', 'internal error; the request id identifies it in the logs');
    if (res.headersSent) return;
    if (e.details.currentVersion !== undefined) res.set('ETag', `"${e.details.currentVersion}"`);
    if (e.details.retryAfterSeconds !== undefined) res.set('Retry-After', String(e.details.retryAfterSeconds));
    res.status(e.status).json({ error: { code: e.code, message: e.message, requestId, ...e.details } });
  };
}
