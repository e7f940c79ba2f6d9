/**
 * What every SDK in `npm run bench:peers` is configured with and asked (issue 12): one set of 100
 * flags, written in each SDK's own format by its adapter, and the contexts they are evaluated for.
 *
 * The 100-flag mix: `mix-000`..`mix-039` static booleans (on for everyone), `mix-040`..`mix-069`
 * the rule ("b" when plan is in [pro, enterprise] and country in [NL, BE], else "a"),
 * `mix-070`..`mix-099` the split (a/b/c at 33/33/34 by the context's key, each flag its own salt).
 * The single-flag scenarios evaluate the first flag of each kind, so each SDK holds one flag set
 * and `bulk100` evaluates all of it.
 */

/** The four scenarios, in the order they are reported. */
export const SCENARIOS = ['static', 'rule', 'split', 'bulk100'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export type FlagKind = 'static' | 'rule' | 'split';

/** One flag of the mix. */
export interface FlagSpec {
  readonly key: string;
  readonly kind: FlagKind;
}

/** The mix, in key order. */
export const MIX: readonly FlagSpec[] = Array.from({ length: 100 }, (_, i) => ({
  key: `mix-${String(i).padStart(3, '0')}`,
  kind: i < 40 ? 'static' : i < 70 ? 'rule' : 'split',
}));

/** The flag each single-flag scenario evaluates. */
export const SCENARIO_FLAG: Readonly<Record<FlagKind, string>> = {
  static: 'mix-000',
  rule: 'mix-040',
  split: 'mix-070',
};

export const RULE_PLANS = ['pro', 'enterprise'];
export const RULE_COUNTRIES = ['NL', 'BE'];
/** The split's variants and their weights in percent. */
export const SPLIT: ReadonlyArray<readonly [variant: string, percent: number]> = [
  ['a', 33],
  ['b', 33],
  ['c', 34],
];

/** The attributes a context carries; each adapter turns them into its SDK's context shape. */
export interface BaseContext {
  key: string;
  plan: string;
  country: string;
}

/** What the rule must answer for `base`, computed here, independently of every SDK. */
export function expectedRule(base: BaseContext): 'a' | 'b' {
  return RULE_PLANS.includes(base.plan) && RULE_COUNTRIES.includes(base.country) ? 'b' : 'a';
}

const PLANS = ['free', 'pro', 'enterprise', 'team'];
const COUNTRIES = ['NL', 'BE', 'DE', 'US', 'FR'];

/**
 * `keys.length` contexts: every plan x country pair in turn (4 and 5 are coprime, so all 20 pairs
 * occur; 4 of them, a fifth of the contexts, match the rule).
 */
export function baseContexts(keys: readonly string[]): BaseContext[] {
  return keys.map((key, i) => ({ key, plan: PLANS[i % PLANS.length]!, country: COUNTRIES[i % COUNTRIES.length]! }));
}

export type MaybePromise<T> = T | Promise<T>;
/** A flag value as the validation compares it. */
export type BulkValues = Readonly<Record<string, unknown>>;

/**
 * One SDK, configured offline with the mix, called the way its documentation recommends for a
 * server's hot path. `C` is the SDK's own context shape, built once per context before timing (a
 * service builds its request's context once, whatever the SDK).
 */
export interface SdkAdapter<C = unknown> {
  /** The key in the bench's JSON line. */
  readonly name: string;
  /** True when the SDK's evaluation API answers with a Promise: each timed call is awaited. */
  readonly async: boolean;
  /** How it is set up and called (printed by the bench, recorded in docs/sdk.md). */
  readonly setup: string;
  // Function-valued properties, not methods: the bench calls them detached, and no adapter uses `this`.
  readonly context: (base: BaseContext) => C;
  /** Rewrites `ctx` in place to carry `base` (the no-cache check mutates a context it evaluated). */
  readonly assign: (ctx: C, base: BaseContext) => void;
  readonly static: (ctx: C) => MaybePromise<unknown>;
  readonly rule: (ctx: C) => MaybePromise<unknown>;
  readonly split: (ctx: C) => MaybePromise<unknown>;
  /** Every flag of the mix for one context: the SDK's all-flags call, or a loop over the 100 where it has none. */
  readonly bulk100: (ctx: C) => MaybePromise<unknown>;
  /** What `bulk100` answered, as flag key -> value (validation only, never timed). */
  readonly bulkValues: (ctx: C) => MaybePromise<BulkValues>;
  readonly close: () => MaybePromise<void>;
  /**
   * The timed loops: `n` calls of a scenario over `contexts` from index `from` (wrapping), answering
   * how many were truthy. Written out in each adapter so every SDK gets a call site of its own, as
   * in a service: a loop shared by five SDKs would make the call megamorphic and cost the fastest
   * SDK the most (it measured up to half of this SDK's static rate).
   */
  readonly loops: Readonly<Record<Scenario, (contexts: readonly C[], from: number, n: number) => MaybePromise<number>>>;
}
