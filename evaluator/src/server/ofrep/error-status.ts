/** The one table from the engine's error codes to OFREP HTTP statuses. */
import type { ErrorCode } from '../../model/result.ts';

/**
 * HTTP status of a single-flag OFREP answer per error code. Client problems are 4xx; GENERAL
 * (a flag the server cannot evaluate, e.g. a prerequisite cycle) is the server's fault: 500,
 * which the OFREP providers read as an error response like 400 and 404.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  FLAG_NOT_FOUND: 404,
  TYPE_MISMATCH: 400,
  TARGETING_KEY_MISSING: 400,
  PARSE_ERROR: 400,
  INVALID_CONTEXT: 400,
  GENERAL: 500,
});
