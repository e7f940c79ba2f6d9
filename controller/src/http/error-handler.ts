import type { NextFunction, Request, Response } from 'express';
import { BUSY_RETRY_AFTER_SECONDS, DatabaseBusyError, isDatabaseBusy } from '../db/busy-wait.ts';
import {
  ConflictError,
  databaseBusy,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  TooLargeError,
  UnauthenticatedError,
  UnavailableError,
  UnsupportedFormatError,
  ValidationFailedError,
  VersionRequiredError,
} from '../errors/domain-errors.ts';

/**
 * The one table from domain errors to HTTP statuses. A class's subclasses take its status
 * (StaleVersionError is a ConflictError: 409); a class missing here is a 500, which the
 * error-handler test would show.
 */
const STATUS_OF = new Map<abstract new (...args: never[]) => DomainError, number>([
  [InvalidInputError, 400],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [TooLargeError, 413],
  [UnsupportedFormatError, 415],
  [ValidationFailedError, 422],
  [VersionRequiredError, 428],
  [UnavailableError, 503],
]);

/** The status of a domain error: its class's, or the nearest ancestor's in {@link STATUS_OF}. */
export function statusOf(error: DomainError): number {
  for (let c: unknown = error.constructor; c && c !== DomainError; c = Object.getPrototypeOf(c)) {
    const status = STATUS_OF.get(c as abstract new (...args: never[]) => DomainError);
    if (status !== undefined) return status;
  }
  return 500;
}

/** Maps body-parser and express errors (which carry `status` and `type`) onto domain errors. */
function fromFramework(err: { status?: number; type?: string; message?: string }): DomainError | undefined {
  if (err.type === 'entity.too.large')
    return new TooLargeError('BODY_TOO_LARGE', 'the body is larger than this route accepts');
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported')
    return new UnsupportedFormatError('UNSUPPORTED_MEDIA_TYPE', err.message ?? 'unsupported encoding');
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500)
    return new InvalidInputError('INVALID_REQUEST', err.message ?? 'bad request');
  return undefined;
}

class InternalError extends DomainError {}

/** The one place errors become responses: `{ error: { code, message, requestId, ... } }`. */
export function errorHandler(log: (message: string, error: unknown) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A write that could not get SQLite's lock in time (or a statement outside the unit of work
    // refused it) wrote nothing: the client may simply try again.
    const busy =
      error instanceof DatabaseBusyError || isDatabaseBusy(error) ? databaseBusy(BUSY_RETRY_AFTER_SECONDS) : undefined;
    const known = error instanceof DomainError ? error : (busy ?? fromFramework(error ?? {}));
    const requestId = (res.locals.requestId as string | undefined) ?? '';
    if (busy && !(error instanceof DomainError))
      log(`database busy in ${req.method} ${req.originalUrl} (request ${requestId}): answered 503`, error);
    if (!known) log(`unhandled error in ${req.method} ${req.originalUrl} (request ${requestId})`, error);
    const e = known ?? new InternalError('INTERNAL', 'internal error; the request id identifies it in the logs');
    if (res.headersSent) return;
    if (e.details.currentVersion !== undefined) res.set('ETag', `"${e.details.currentVersion}"`);
    if (e.details.retryAfterSeconds !== undefined) res.set('Retry-After', String(e.details.retryAfterSeconds));
    res.status(statusOf(e)).json({ error: { code: e.code, message: e.message, requestId, ...e.details } });
  };
}
