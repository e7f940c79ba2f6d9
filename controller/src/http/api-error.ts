import type { Problem } from '@flagship/evaluator';

/** Extra members of an error body. */
export interface ApiErrorDetails {
  problems?: Problem[];
  currentVersion?: number;
  /** Seconds the client should wait before trying again; also sent as `Retry-After`. */
  retryAfterSeconds?: number;
}

/**
 * A failure with its HTTP meaning. Services throw these; the one error handler turns them into
 * `{ error: { code, message, requestId, problems?, currentVersion? } }`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ApiErrorDetails = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, problems?: Problem[], code = 'INVALID_REQUEST') =>
  new ApiError(400, code, message, problems ? { problems } : {});
export const notFound = (what: string) => new ApiError(404, 'NOT_FOUND', `${what} not found`);
export const conflict = (code: string, message: string, details: ApiErrorDetails = {}) => new ApiError(409, code, message, details);
export const staleVersion = (what: string, currentVersion: number) =>
  new ApiError(409, 'STALE_VERSION', `${what} is at version ${currentVersion}: reload and reapply your change`, { currentVersion });
export const invalidModel = (problems: Problem[], message = 'the document fails validation') =>
  new ApiError(422, 'VALIDATION_FAILED', message, { problems });
/** The database's write lock stayed taken for the whole wait (SQLite); nothing was written. */
export const databaseBusy = (retryAfterSeconds: number) =>
  new ApiError(503, 'DATABASE_BUSY', `the database is busy with other writes and nothing was written; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
export const forbidden = (message: string, code = 'FORBIDDEN') => new ApiError(403, code, message);
