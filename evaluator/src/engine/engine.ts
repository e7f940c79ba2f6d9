/** The public face of a compiled snapshot. */
import type { FlagType, Snapshot } from '../model/flag.ts';
import type { EvaluationContext, EvaluationResult } from '../model/result.ts';

/** Why a flag served what it served, step by step: for previews and the console. */
export interface Explanation {
  result: EvaluationResult;
  /** Which precedence step decided: disabled, prerequisite, target, rule, default, error. */
  decidedBy: 'disabled' | 'prerequisite' | 'target' | 'rule' | 'default' | 'error';
  /** Index of the rule that matched, when decidedBy is 'rule'. */
  ruleIndex?: number;
  ruleId?: string;
  /** The context's bucket (0..99999), when a split decided. */
  bucket?: number;
  /** The prerequisite that failed, when decidedBy is 'prerequisite'. */
  failedPrerequisite?: { flag: string; wanted: string; got: string | undefined };
  /** Per rule that was tried, in order: did each of its conditions hold? */
  rules: Array<{ index: number; id?: string; matched: boolean; conditions: boolean[] }>;
}

/**
 * A snapshot compiled for evaluation. Immutable: a new snapshot version is a new Engine, swapped
 * in whole (unless an incremental compile was asked to take this one's tables over, `takeOver`:
 * then this one is not used again). Every method is total: errors come back as results with
 * reason ERROR, never thrown.
 */
export interface Engine {
  readonly environment: string;
  readonly version: number;
  /** Evaluate one flag. With `expectedType`, a flag of another type yields TYPE_MISMATCH. */
  evaluate(flagKey: string, context: EvaluationContext, expectedType?: FlagType): EvaluationResult;
  /** Evaluate every flag in the snapshot for one context (bulk), in key order. */
  evaluateAll(context: EvaluationContext): EvaluationResult[];
  /** Evaluate one flag and say why (slower; not for the hot path). */
  explain(flagKey: string, context: EvaluationContext): Explanation;
  /** Flag keys in the snapshot, sorted. */
  readonly flagKeys: readonly string[];
  /**
   * Flags the snapshot marks `trackExposures: true`: servers count their evaluations per
   * variant, every other flag's only in aggregate (docs/operations.md, "Exposure counts").
   */
  readonly exposureTracked: ReadonlySet<string>;
  /**
   * The flags whose answer is the same for every valid context (no targets, rules, split or
   * prerequisites; or disabled), each with its type and that shared result: what `evaluate`
   * answers for them when the type matches and {@link contextProblem} finds nothing. An in-process
   * SDK answers these from one lookup (docs/sdk.md, "Capacity").
   */
  readonly fixedAnswers: ReadonlyMap<string, FixedAnswer>;
}

/** A flag's context-independent answer ({@link Engine.fixedAnswers}). */
export interface FixedAnswer {
  readonly type: FlagType;
  readonly result: EvaluationResult;
}

/** Compiles a snapshot once into an {@link Engine}. Implemented in compile-snapshot.ts. */
export type CompileSnapshot = (snapshot: Snapshot) => Engine;
