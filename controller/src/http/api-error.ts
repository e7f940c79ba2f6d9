/**
 * Transitional: services now throw the domain errors of errors/domain-errors.ts. This module
 * re-exports them under the old path and keeps `ApiError` (an error with its own status) until the
 * last thrower has moved; the error handler still honours its status.
 */
import { DomainError, type DomainErrorDetails } from '../errors/domain-errors.ts';

export { badRequest, conflict, databaseBusy, forbidden, invalidModel, notFound, staleVersion } from '../errors/domain-errors.ts';
export type ApiErrorDetails = DomainErrorDetails;

/** @deprecated throw a domain error (errors/domain-errors.ts); the handler maps it to a status. */
export class ApiError extends DomainError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details: DomainErrorDetails = {},
  ) {
    super(code, message, details);
  }
}
