/**
 * Compiles one snapshot flag into the structure the engine walks: conditions become predicates,
 * targets a Map, splits cumulative bucket thresholds, and every possible outcome a precomputed
 * frozen result, so evaluating allocates nothing.
 */
import type { FlagMetadata, EvaluationResult, Reason } from '../model/result.ts';
import type { Serve, SnapshotFlag } from '../model/flag.ts';
import { compileAttribute, type AttributeGetter } from './attributes.ts';
import { compileCondition, type Predicate, type SegmentLookup } from './operators.ts';
import { errorResult, servedResult } from './results.ts';
import { saltToKey, type SipKey } from './siphash24.ts';

/** What a rule or the default rule serves, compiled. */
export type CompiledServe =
  | { split: false; result: EvaluationResult }
  /** `upper[i]` is the exclusive upper bucket of `results[i]`; buckets run 0..99999. */
  | { split: true; upper: Int32Array; results: EvaluationResult[] };

export interface CompiledRule {
  index: number;
  id: string | undefined;
  conditions: Predicate[];
  serve: CompiledServe;
}

export interface CompiledFlag {
  key: string;
  type: SnapshotFlag['type'];
  metadata: FlagMetadata;
  /** Set when the outcome never depends on the context: disabled, static, or broken. */
  fixed: EvaluationResult | undefined;
  prerequisites: ReadonlyArray<{ flag: string; variant: string }>;
  prerequisiteFailed: EvaluationResult;
  targets: Map<string, EvaluationResult> | undefined;
  rules: CompiledRule[];
  defaultServe: CompiledServe;
  sipKey: SipKey;
  /** undefined: bucket by targetingKey (the common case, read without a getter). */
  bucketBy: AttributeGetter | undefined;
  bucketByName: string;
  missingBucketKey: EvaluationResult;
  typeMismatch: Partial<Record<SnapshotFlag['type'], EvaluationResult>>;
}

const SALT_PATTERN = /^[0-9a-f]{32}$/;

/** Compiles a flag; `broken` (e.g. a prerequisite cycle) makes every evaluation a GENERAL error. */
export function compileFlag(
  flag: SnapshotFlag,
  metadata: FlagMetadata,
  segments: SegmentLookup,
  broken?: string,
): CompiledFlag {
  const key = flag.key;
  const variantValue = (name: string) => flag.variants[name];
  const result = (variant: string, reason: Reason) =>
    servedResult(key, variant, variantValue(variant), reason, metadata);
  const bucketByName = flag.bucketBy ?? 'targetingKey';
  const compiled: CompiledFlag = {
    key,
    type: flag.type,
    metadata,
    fixed: undefined,
    prerequisites: flag.prerequisites,
    prerequisiteFailed: result(flag.offVariant, 'PREREQUISITE_FAILED'),
    targets: undefined,
    rules: [],
    defaultServe: { split: false, result: result(flag.offVariant, 'DEFAULT') },
    sipKey: SALT_PATTERN.test(flag.salt) ? saltToKey(flag.salt) : [0, 0, 0, 0],
    bucketBy: bucketByName === 'targetingKey' ? undefined : compileAttribute(bucketByName),
    bucketByName,
    missingBucketKey: errorResult(
      key,
      'TARGETING_KEY_MISSING',
      `flag "${key}" splits by "${bucketByName}", which the context lacks`,
      metadata,
    ),
    typeMismatch: {},
  };
  if (broken !== undefined) {
    compiled.fixed = errorResult(key, 'GENERAL', broken, metadata);
    return compiled;
  }
  if (!flag.enabled) {
    compiled.fixed = result(flag.offVariant, 'DISABLED');
    return compiled;
  }
  const compileServe = (serve: Serve, singleReason: Reason): CompiledServe => {
    if ('variant' in serve) return { split: false, result: result(serve.variant, singleReason) };
    const upper = new Int32Array(serve.split.length);
    let sum = 0;
    serve.split.forEach((s, i) => {
      sum += s.weight;
      upper[i] = sum;
    });
    return { split: true, upper, results: serve.split.map((s) => result(s.variant, 'SPLIT')) };
  };
  if (flag.targets.length > 0) {
    compiled.targets = new Map();
    for (const t of flag.targets) {
      const r = result(t.variant, 'TARGETING_MATCH');
      // First target list wins for a key listed twice (validation rejects that anyway).
      for (const k of t.values) if (!compiled.targets.has(k)) compiled.targets.set(k, r);
    }
  }
  compiled.rules = flag.rules.map((rule, index) => ({
    index,
    id: rule.id,
    conditions: rule.conditions.map((c) => compileCondition(c, segments)),
    serve: compileServe(rule.serve, 'TARGETING_MATCH'),
  }));
  const hasTargeting = flag.prerequisites.length > 0 || compiled.targets !== undefined || compiled.rules.length > 0;
  compiled.defaultServe = compileServe(flag.defaultRule, hasTargeting ? 'DEFAULT' : 'STATIC');
  if (!hasTargeting && !compiled.defaultServe.split) compiled.fixed = compiled.defaultServe.result;
  return compiled;
}
