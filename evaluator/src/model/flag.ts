/**
 * The flag model: plain JSON-shaped data, shared by the control plane, the evaluator, the SDK
 * and the console. No Node built-ins here: the console imports this in the browser.
 */

/** The value types a flag can serve. Every variant of one flag has the flag's type. */
export type FlagType = 'boolean' | 'string' | 'number' | 'object';

/** All flag types, in a stable order (for validation messages and UIs). */
export const FLAG_TYPES: readonly FlagType[] = ['boolean', 'string', 'number', 'object'];

/** A JSON object value, as served by an `object` flag. */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A value a variant serves: the flag's type decides which one. */
export type VariantValue = boolean | string | number | JsonObject;

/**
 * Weights are integers in units of 0.001%: a split's weights sum to {@link TOTAL_WEIGHT},
 * which is also the number of buckets a context can fall into.
 */
export const TOTAL_WEIGHT = 100_000;

/** One slice of a percentage split. */
export interface WeightedVariant {
  variant: string;
  /** Units of 0.001% (0..100000). */
  weight: number;
}

/**
 * What a rule (or the default rule) serves: one variant, or a weighted split.
 * Buckets are laid out in the split's listed order from bucket 0, so raising the weight of the
 * first entry only takes buckets from the entries after it: listing the treatment first makes a
 * ramp monotone (no context leaves the treatment when its weight rises).
 */
export type Serve = { variant: string } | { split: WeightedVariant[] };

/** Condition operators; see docs/evaluation.md for each one's exact semantics. */
export type Operator =
  | 'in'
  | 'notIn'
  | 'startsWith'
  | 'endsWith'
  | 'contains'
  | 'matches'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'semverEq'
  | 'semverLt'
  | 'semverLte'
  | 'semverGt'
  | 'semverGte'
  | 'before'
  | 'after'
  | 'inSegment'
  | 'notInSegment';

/** All operators, in a stable order. */
export const OPERATORS: readonly Operator[] = [
  'in',
  'notIn',
  'startsWith',
  'endsWith',
  'contains',
  'matches',
  'lt',
  'lte',
  'gt',
  'gte',
  'semverEq',
  'semverLt',
  'semverLte',
  'semverGt',
  'semverGte',
  'before',
  'after',
  'inSegment',
  'notInSegment',
];

/**
 * `attribute op values`. The condition holds when the context's attribute matches any of the
 * values (for `notIn` / `notInSegment`: none of them). Segment operators take segment keys as
 * values and ignore `attribute`. A dotted attribute (`user.plan`) reads a nested object.
 */
export interface Condition {
  attribute: string;
  op: Operator;
  values: Array<string | number>;
}

/** A targeting rule: an AND of conditions that serves a variant or a split. */
export interface Rule {
  /** Stable id, so audit diffs and explanations can name a rule even when rules are reordered. */
  id?: string;
  description?: string;
  conditions: Condition[];
  serve: Serve;
}

/** Individual targeting: these context keys get this variant. */
export interface Target {
  variant: string;
  values: string[];
}

/** Another flag must serve `variant` for this flag to go on past its prerequisites. */
export interface Prerequisite {
  flag: string;
  variant: string;
}

/** A flag's definition, the same in every environment. */
export interface Flag {
  key: string;
  type: FlagType;
  description?: string;
  tags?: string[];
  variants: Record<string, VariantValue>;
  /**
   * The per-flag bucketing salt: 32 hex digits, the 128-bit SipHash key. Fixed at creation so
   * a flag's buckets never move; change it only to deliberately reshuffle everyone.
   */
  salt: string;
  /**
   * Count this flag's evaluations per variant in every environment (the evaluators'
   * `evaluator_exposures_total`), for an impact dashboard, even with no rollout running. Absent or
   * false: counted per variant only while a rollout runs (docs/operations.md, "Exposure counts").
   * In a snapshot the field is the computed mark: true when the flag is counted per variant there.
   */
  trackExposures?: boolean;
}

/** How a client with no snapshot at all should answer: the off variant, or its last value. */
export type FailMode = 'off' | 'last';

/** A flag's configuration in one environment. */
export interface FlagConfig {
  enabled: boolean;
  /** Served when the flag is disabled or a prerequisite fails. */
  offVariant: string;
  prerequisites: Prerequisite[];
  targets: Target[];
  rules: Rule[];
  defaultRule: Serve;
  /** The context attribute that splits hash; default `targetingKey`. */
  bucketBy?: string;
  failMode?: FailMode;
}

/** A segment: explicit include/exclude key lists and/or rules, versioned. */
export interface Segment {
  key: string;
  description?: string;
  version: number;
  /** Context keys always in the segment (unless excluded). */
  included: string[];
  /** Context keys never in the segment; exclusion wins over inclusion and rules. */
  excluded: string[];
  /** A context matching any rule is in the segment. Rules may not reference segments. */
  rules: Array<{ conditions: Condition[] }>;
}

/** A flag as an environment's snapshot carries it: definition plus that environment's config. */
export interface SnapshotFlag extends Flag, FlagConfig {
  /** The version of this flag's config in this environment. */
  version: number;
}

/**
 * An environment's snapshot: everything an evaluator needs, pinned at one version. Treated as
 * immutable, except by an owner that applies a delta in place (applyDeltaInPlace) and swaps the
 * result in at once.
 */
export interface Snapshot {
  environment: string;
  version: number;
  /** ISO-8601 time the snapshot was built. */
  createdAt?: string;
  flags: Record<string, SnapshotFlag>;
  segments: Record<string, Segment>;
}
