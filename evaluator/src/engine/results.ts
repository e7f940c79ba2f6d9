/** Builders for evaluation results. Successful results are precomputed once and frozen. */
import type { VariantValue } from '../model/flag.ts';
import type { ErrorCode, EvaluationResult, FlagMetadata, Reason } from '../model/result.ts';

/** A shared, frozen result for one outcome of one flag. */
export function servedResult(
  key: string,
  variant: string,
  value: VariantValue | undefined,
  reason: Reason,
  metadata: FlagMetadata,
): EvaluationResult {
  return Object.freeze({ key, value, variant, reason, flagMetadata: metadata });
}

/** An error result: reason ERROR, no value (the caller's default applies). */
export function errorResult(
  key: string,
  errorCode: ErrorCode,
  errorMessage: string,
  metadata: FlagMetadata | Record<string, never> = EMPTY,
): EvaluationResult {
  return Object.freeze({
    key,
    value: undefined,
    variant: undefined,
    reason: 'ERROR',
    errorCode,
    errorMessage,
    flagMetadata: metadata,
  });
}

const EMPTY: Record<string, never> = Object.freeze({});
