/**
 * What a service can refuse, as named errors that know nothing of HTTP: the services also run
 * inside the workers. Each class stands for one kind of refusal and carries a stable `code` (what
 * a client branches on) and the details a client needs to act (problems with paths, the current
 * version, how long to wait). The admin API's one error handler (http/error-handler.ts) maps each
 * class to its status through one table; nothing else knows a status number.
 */
import type { Problem } from '@flagship/evaluator';

/** Extra members of an error body, beside `code`, `message` and `requestId`. */
export interface DomainErrorDetails {
  problems?: Problem[];
  /** The version the object is at now (also sent as the `ETag`). */
  currentVersion?: number;
  /** Seconds the client should wait before trying again (also sent as `Retry-After`). */
  retryAfterSeconds?: number;
}

/** The base of every refusal a service throws; `code` is stable, `message` is for people. */
export abstract class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed: wrong JSON types, unknown or missing fields, bad parameters. */
export class InvalidInputError extends DomainError {}
/** No key, or an unknown or revoked one. */
export class UnauthenticatedError extends DomainError {}
/** The key may not do this (role, environment, self-approval, ...). */
export class ForbiddenError extends DomainError {}
/** The object does not exist (or the key may not know it exists). */
export class NotFoundError extends DomainError {}
/** The change conflicts with the current state (duplicate, archived, approval required, ...). */
export class ConflictError extends DomainError {}
/** The change was based on a version that is no longer current; `currentVersion` says which is. */
export class StaleVersionError extends ConflictError {
  constructor(message: string, currentVersion: number) {
    super('STALE_VERSION', message, { currentVersion });
  }
}
/** Well-formed, but the model's validation fails; `problems` say where. */
export class ValidationFailedError extends DomainError {}
/** A write that must name the version it is based on did not. */
export class VersionRequiredError extends DomainError {}
/** The body is in a format this operation does not read. */
export class UnsupportedFormatError extends DomainError {}
/** The body is larger than this operation accepts. */
export class TooLargeError extends DomainError {}
/** A dependency (the database, Redis) cannot take the operation now; nothing was done. */
export class UnavailableError extends DomainError {}

export const badRequest = (message: string, problems?: Problem[], code = 'INVALID_REQUEST') =>
  new InvalidInputError(code, message, problems ? { problems } : {});
export const notFound = (what: string) => new NotFoundError('NOT_FOUND', `${what} not found`);
export const conflict = (code: string, message: string, details: DomainErrorDetails = {}) =>
  new ConflictError(code, message, details);
export const staleVersion = (what: string, currentVersion: number) =>
  new StaleVersionError(`${what} is at version ${currentVersion}: reload and reapply your change`, currentVersion);
export const invalidModel = (problems: Problem[], message = 'the document fails validation') =>
  new ValidationFailedError('VALIDATION_FAILED', message, { problems });
export const forbidden = (message: string, code = 'FORBIDDEN') => new ForbiddenError(code, message);
/** The database's write lock stayed taken for the whole wait (SQLite); nothing was written. */
export const databaseBusy = (retryAfterSeconds: number) =>
  new UnavailableError(
    'DATABASE_BUSY',
    `the database is busy with other writes and nothing was written; retry in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
