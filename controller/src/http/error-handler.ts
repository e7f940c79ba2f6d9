import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './api-error.ts';

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
    const api = error instanceof ApiError ? error : fromFramework((error ?? {}) as { status?: number; type?: string });
    const requestId = (res.locals.requestId as string | undefined) ?? '';
    if (!api) log(`unhandled error in ${req.method} ${req.originalUrl} (request ${requestId})`, error);
    const e = api ?? new ApiError(500, 'INTERNAL', 'internal error; the request id identifies it in the logs');
    if (res.headersSent) return;
    if (e.details.currentVersion !== undefined) res.set('ETag', `"${e.details.currentVersion}"`);
    res.status(e.status).json({ error: { code: e.code, message: e.message, requestId, ...e.details } });
  };
}
