/** Evaluation results, in OpenFeature's terms. */
import type { VariantValue } from './flag.ts';

/** Why a value was served. OpenFeature's reasons, plus PREREQUISITE_FAILED. */
export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'DISABLED' | 'PREREQUISITE_FAILED' | 'ERROR';

/**
 * OpenFeature error codes, each with one meaning:
 * - FLAG_NOT_FOUND: no flag with that key in the snapshot.
 * - TYPE_MISMATCH: the caller asked for a type the flag does not serve.
 * - TARGETING_KEY_MISSING: a split had to bucket the context, and its bucketBy value is missing.
 * - PARSE_ERROR: the request or context could not be parsed (transports use it).
 * - INVALID_CONTEXT: the context is not an object of attributes.
 * - GENERAL: anything else, e.g. a flag that could not be compiled.
 */
export type ErrorCode =
  'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'TARGETING_KEY_MISSING' | 'PARSE_ERROR' | 'INVALID_CONTEXT' | 'GENERAL';

/** Metadata attached to every result of a flag. */
export interface FlagMetadata {
  snapshotVersion: number;
  flagVersion: number;
  environment: string;
}

/**
 * The result of evaluating one flag. Successful results are shared, frozen objects (the engine
 * precomputes one per outcome), so callers must not mutate them.
 */
export interface EvaluationResult {
  key: string;
  value: VariantValue | undefined;
  variant: string | undefined;
  reason: Reason;
  errorCode?: ErrorCode;
  errorMessage?: string;
  flagMetadata: FlagMetadata | Record<string, never>;
}

/** An evaluation context: `targetingKey` plus any attributes. */
export type EvaluationContext = { targetingKey?: string; [attribute: string]: unknown };
