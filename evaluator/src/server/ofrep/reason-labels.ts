/**
 * The `reason` label values of `evaluator_evaluations_total`: the OFREP reasons and one
 * `ERROR:<code>` per error code. A fixed list from the engine's own types, never a client-chosen
 * string, so the aggregate has at most environments x REASON_LABELS.length series.
 */
import type { ErrorCode, EvaluationResult, Reason } from '../../model/result.ts';

const SUCCESS_REASONS = [
  'STATIC',
  'TARGETING_MATCH',
  'SPLIT',
  'DEFAULT',
  'DISABLED',
  'PREREQUISITE_FAILED',
] as const satisfies readonly Exclude<Reason, 'ERROR'>[];

const ERROR_CODES = [
  'FLAG_NOT_FOUND',
  'TYPE_MISMATCH',
  'TARGETING_KEY_MISSING',
  'PARSE_ERROR',
  'INVALID_CONTEXT',
  'GENERAL',
] as const satisfies readonly ErrorCode[];

// A reason or error code added to the model without a label here fails the type check.
const _everyReason: [Exclude<Reason, 'ERROR'>] extends [(typeof SUCCESS_REASONS)[number]] ? true : never = true;
const _everyCode: [ErrorCode] extends [(typeof ERROR_CODES)[number]] ? true : never = true;

/** Every reason label, in a fixed order: engine views count evaluations into an array indexed by it. */
export const REASON_LABELS: readonly string[] = [...SUCCESS_REASONS, ...ERROR_CODES.map((c) => `ERROR:${c}`)];

const INDEX = new Map(REASON_LABELS.map((label, i) => [label, i]));
const GENERAL = INDEX.get('ERROR:GENERAL')!;

/** The reason label of a result: `ERROR:<code>` for errors (GENERAL when it has no code). */
export function reasonLabel(result: EvaluationResult): string {
  return result.reason === 'ERROR' ? `ERROR:${result.errorCode ?? 'GENERAL'}` : result.reason;
}

/** The index of a result's label in {@link REASON_LABELS}; anything unlisted counts as ERROR:GENERAL. */
export function reasonIndex(result: EvaluationResult): number {
  return INDEX.get(reasonLabel(result)) ?? GENERAL;
}
