/**
 * Compiles a snapshot into an {@link Engine} and implements the precedence of docs/evaluation.md:
 * disabled -> prerequisites -> individual targets -> rules in order -> default rule.
 */
import type { FlagType, Snapshot, SnapshotFlag } from '../model/flag.ts';
import type { EvaluationContext, EvaluationResult, FlagMetadata } from '../model/result.ts';
import type { Engine, Explanation, FixedAnswer } from './engine.ts';
import { compileFlag, type CompiledFlag, type CompiledServe } from './compile-flag.ts';
import type { Predicate } from './operators.ts';
import { errorResult } from './results.ts';
import { compileSegment } from './segments.ts';
import { sipHashBucket } from './siphash24.ts';

/** Prerequisite chains longer than this are refused at compile time (keeps evaluation shallow). */
export const MAX_PREREQUISITE_DEPTH = 32;

/** Compiles a snapshot once; the result evaluates any number of contexts. Never throws on a validated snapshot. */
export function compileSnapshot(snapshot: Snapshot, from?: IncrementalSource): Engine {
  const steps = compileSnapshotInSlices(snapshot, from, Infinity);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * What an incremental compile reuses: the engine of the snapshot this one was made from, and the
 * flag and segment keys that differ between the two (a delta's keys, model/snapshot-delta.ts).
 * Only those flags are compiled again, with the flags that use a changed segment and those whose
 * prerequisite chain became broken or whole; every other compiled flag is taken over as it is,
 * its results (and their metadata's `snapshotVersion`: the version in which the flag was last
 * compiled) included.
 */
export interface IncrementalSource {
  engine: Engine;
  changedFlags: Iterable<string>;
  changedSegments: Iterable<string>;
  /**
   * Take the previous engine's tables over and change them in place instead of copying them
   * (10,000-entry maps at design scale: ~1.5 ms and their garbage per change). The previous
   * engine then answers from the changed tables, so it must not be used again: for an owner that
   * swaps the new engine in within the same turn of the event loop and never calls the old one
   * after (the evaluator's follower). Nothing is changed unless the compile succeeds.
   */
  takeOver?: boolean;
}

/**
 * {@link compileSnapshot} as a generator that yields after every `sliceSize` flags compiled, so
 * a caller can compile a 10,000-flag snapshot between requests (the evaluator resumes it on
 * `setImmediate`) instead of blocking for the ~100 ms it takes in one go. The returned value is
 * the engine.
 */
export function* compileSnapshotInSlices(
  snapshot: Snapshot,
  from?: IncrementalSource,
  sliceSize = 250,
): Generator<void, Engine, void> {
  const previous = from?.engine instanceof CompiledEngine ? from.engine : undefined;
  const changedSegments = new Set(previous === undefined ? [] : from!.changedSegments);
  const segments = new Map<string, Predicate>();
  for (const [key, segment] of Object.entries(snapshot.segments)) {
    const kept = previous !== undefined && !changedSegments.has(key) ? previous.parts.segments.get(key) : undefined;
    segments.set(key, kept ?? compileSegment(segment));
  }
  const redo = new Set<string>();
  if (previous !== undefined) {
    for (const key of from!.changedFlags) redo.add(key);
    for (const key of changedSegments) for (const user of previous.parts.segmentUsers.get(key) ?? []) redo.add(user);
  }
  // Prerequisite chains only move when a flag that has or is a prerequisite changed.
  const chainsMoved =
    previous === undefined ||
    [...redo].some(
      (k) =>
        previous.parts.prerequisiteTargets.has(k) ||
        (ownFlag(snapshot, k)?.prerequisites.length ?? 0) > 0 ||
        previous.parts.hasPrerequisites.has(k),
    );
  const broken = chainsMoved ? findBrokenPrerequisites(snapshot) : previous.parts.broken;
  if (previous !== undefined && chainsMoved) {
    for (const key of new Set([...broken.keys(), ...previous.parts.broken.keys()]))
      if (broken.get(key) !== previous.parts.broken.get(key)) redo.add(key);
  }
  // The bookkeeping maps start as the previous engine's (copies of them, or the maps themselves
  // when taken over); every flag is compiled first and only then are the redone flags put in,
  // so a compile that throws leaves the previous engine as it was. Everything else is taken
  // over, so an incremental compile costs the changed flags, not the environment.
  const takeOver = previous !== undefined && from!.takeOver === true;
  const previousFlags = previous?.parts.flags;
  const sameKeys =
    previousFlags !== undefined && [...redo].every((k) => Object.hasOwn(snapshot.flags, k) === previousFlags.has(k));
  // The sorted keys stay when no flag was added or removed (sorting 10,000 keys is a few ms, and
  // even listing them is one): only the redone keys can have come or gone.
  const flagKeys = sameKeys ? previous!.flagKeys : Object.keys(snapshot.flags).sort();
  const toCompile =
    previousFlags === undefined
      ? flagKeys
      : sameKeys
        ? [...redo].filter((k) => Object.hasOwn(snapshot.flags, k))
        : flagKeys.filter((k) => redo.has(k) || !previousFlags.has(k));
  const compiled: Array<{ key: string; flag: CompiledFlag; used: string[] }> = [];
  let sinceYield = 0;
  for (const key of toCompile) {
    const flag = snapshot.flags[key]!;
    const metadata: FlagMetadata = Object.freeze({
      snapshotVersion: snapshot.version,
      flagVersion: flag.version,
      environment: snapshot.environment,
    });
    const used: string[] = [];
    const lookup = (segmentKey: string) => {
      // Recorded even when the segment is missing: adding it later must recompile this flag.
      if (!used.includes(segmentKey)) used.push(segmentKey);
      return segments.get(segmentKey);
    };
    compiled.push({ key, flag: compileFlag(flag, metadata, lookup, broken.get(key)), used });
    if (++sinceYield >= sliceSize) {
      sinceYield = 0;
      yield;
    }
  }
  const flags =
    previousFlags === undefined ? new Map<string, CompiledFlag>() : takeOver ? previousFlags : new Map(previousFlags);
  const segmentUsers =
    previous === undefined
      ? new Map<string, Set<string>>()
      : takeOver
        ? previous.parts.segmentUsers
        : new Map(previous.parts.segmentUsers);
  const segmentsOf =
    previous === undefined
      ? new Map<string, string[]>()
      : takeOver
        ? previous.parts.segmentsOf
        : new Map(previous.parts.segmentsOf);
  // A segment's users set is copied once per compile before it changes (a copied map still
  // shares the sets with the previous engine), then changed in place.
  const own = new Set<Set<string>>();
  const usersOf = (segment: string): Set<string> => {
    const users = segmentUsers.get(segment);
    if (users !== undefined && own.has(users)) return users;
    const mine = new Set(users);
    own.add(mine);
    segmentUsers.set(segment, mine);
    return mine;
  };
  if (previous !== undefined) {
    for (const key of redo) {
      for (const segment of segmentsOf.get(key) ?? []) usersOf(segment).delete(key);
      segmentsOf.delete(key);
      if (!Object.hasOwn(snapshot.flags, key)) flags.delete(key);
    }
  }
  for (const { key, flag, used } of compiled) {
    flags.set(key, flag);
    for (const segment of used) usersOf(segment).add(key);
    if (used.length > 0) segmentsOf.set(key, used);
  }
  let prerequisiteTargets: Set<string>;
  let hasPrerequisites: Set<string>;
  if (chainsMoved) {
    prerequisiteTargets = new Set<string>();
    hasPrerequisites = new Set<string>();
    for (const key of flagKeys) {
      const prerequisites = snapshot.flags[key]!.prerequisites;
      if (prerequisites.length === 0) continue;
      hasPrerequisites.add(key);
      for (const p of prerequisites) prerequisiteTargets.add(p.flag);
    }
  } else {
    prerequisiteTargets = previous.parts.prerequisiteTargets;
    hasPrerequisites = previous.parts.hasPrerequisites;
  }
  return new CompiledEngine(
    snapshot,
    flagKeys,
    {
      flags,
      segments,
      segmentUsers,
      segmentsOf,
      broken,
      prerequisiteTargets,
      hasPrerequisites,
    },
    previous === undefined ? undefined : { engine: previous, redo, takeOver, sameKeys },
  );
}

/** The index of `key` in the sorted `keys` (as Array.prototype.sort orders strings), or -1. */
function sortedIndex(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The snapshot's flag `key`, never an inherited property (a flag may be named `constructor`). */
function ownFlag(snapshot: Snapshot, key: string): SnapshotFlag | undefined {
  return Object.hasOwn(snapshot.flags, key) ? snapshot.flags[key] : undefined;
}

/** What an incremental compile takes over from the previous engine. */
interface EngineParts {
  flags: Map<string, CompiledFlag>;
  segments: Map<string, Predicate>;
  /** segment key -> flags whose conditions looked it up. */
  segmentUsers: Map<string, Set<string>>;
  /** flag key -> segments it looked up. */
  segmentsOf: Map<string, string[]>;
  broken: Map<string, string>;
  /** Flags some flag names as a prerequisite. */
  prerequisiteTargets: Set<string>;
  /** Flags that have prerequisites. */
  hasPrerequisites: Set<string>;
}

class CompiledEngine implements Engine {
  readonly environment: string;
  readonly version: number;
  readonly flagKeys: readonly string[];
  readonly exposureTracked: ReadonlySet<string>;
  readonly fixedAnswers: ReadonlyMap<string, FixedAnswer>;
  private readonly flags: Map<string, CompiledFlag>;
  /** The compiled flags in key order, for evaluateAll; built on its first call (an incremental compile need not). */
  private orderedCache: CompiledFlag[] | undefined;

  constructor(
    snapshot: Snapshot,
    flagKeys: readonly string[],
    readonly parts: EngineParts,
    from?: { engine: CompiledEngine; redo: ReadonlySet<string>; takeOver: boolean; sameKeys: boolean },
  ) {
    this.environment = snapshot.environment;
    this.version = snapshot.version;
    this.flagKeys = flagKeys;
    this.flags = parts.flags;
    const tracked = (k: string) => ownFlag(snapshot, k)?.trackExposures === true;
    // Errors (a broken prerequisite chain) stay on the evaluate path: callers answer them with defaults.
    const fixedOf = (f: CompiledFlag | undefined) =>
      f !== undefined && f.fixed !== undefined && f.fixed.reason !== 'ERROR'
        ? Object.freeze({ type: f.type, result: f.fixed })
        : undefined;
    if (from === undefined) {
      this.exposureTracked = new Set(this.flagKeys.filter(tracked));
      const fixed = new Map<string, FixedAnswer>();
      for (const f of this.ordered()) {
        const answer = fixedOf(f);
        if (answer !== undefined) fixed.set(f.key, answer);
      }
      this.fixedAnswers = fixed;
      return;
    }
    // Copied only when a redone flag changes them (changed in place when taken over): most
    // changes touch neither, and the copies (10,000 entries) would be garbage on every change.
    let exposureTracked = from.engine.exposureTracked as Set<string>;
    let fixed = from.engine.fixedAnswers as Map<string, FixedAnswer>;
    let ownTracked = from.takeOver;
    let ownFixed = from.takeOver;
    for (const key of from.redo) {
      if (tracked(key) !== exposureTracked.has(key)) {
        if (!ownTracked) exposureTracked = new Set(exposureTracked);
        ownTracked = true;
        if (tracked(key)) exposureTracked.add(key);
        else exposureTracked.delete(key);
      }
      const answer = fixedOf(this.flags.get(key));
      if (answer !== undefined || fixed.has(key)) {
        if (!ownFixed) fixed = new Map(fixed);
        ownFixed = true;
        if (answer !== undefined) fixed.set(key, answer);
        else fixed.delete(key);
      }
    }
    this.exposureTracked = exposureTracked;
    this.fixedAnswers = fixed;
    // The ordered list of the previous engine, with the redone flags replaced: a bulk request
    // right after a change then does not list 10,000 flags again.
    const before = from.engine.orderedCache;
    if (from.sameKeys && before !== undefined) {
      const ordered = before.slice();
      for (const key of from.redo) {
        const i = sortedIndex(flagKeys, key);
        if (i >= 0) ordered[i] = this.flags.get(key)!;
      }
      this.orderedCache = ordered;
    }
  }

  private ordered(): CompiledFlag[] {
    this.orderedCache ??= this.flagKeys.map((k) => this.flags.get(k)!);
    return this.orderedCache;
  }

  evaluate(flagKey: string, context: EvaluationContext, expectedType?: FlagType): EvaluationResult {
    const flag = this.flags.get(flagKey);
    if (flag === undefined) return errorResult(flagKey, 'FLAG_NOT_FOUND', `flag "${flagKey}" not found`);
    if (expectedType !== undefined && expectedType !== flag.type) return typeMismatch(flag, expectedType);
    const invalid = contextProblem(context);
    if (invalid !== undefined) return errorResult(flagKey, 'INVALID_CONTEXT', invalid, flag.metadata);
    return this.run(flag, context);
  }

  evaluateAll(context: EvaluationContext): EvaluationResult[] {
    const invalid = contextProblem(context);
    const ordered = this.orderedCache ?? this.ordered();
    const results = new Array<EvaluationResult>(ordered.length);
    for (let i = 0; i < ordered.length; i++) {
      const flag = ordered[i]!;
      results[i] =
        invalid === undefined
          ? this.run(flag, context)
          : errorResult(flag.key, 'INVALID_CONTEXT', invalid, flag.metadata);
    }
    return results;
  }

  private run(flag: CompiledFlag, context: EvaluationContext): EvaluationResult {
    if (flag.fixed !== undefined) return flag.fixed;
    const prerequisites = flag.prerequisites;
    for (let i = 0; i < prerequisites.length; i++) {
      const p = prerequisites[i]!;
      const other = this.flags.get(p.flag);
      if (other === undefined) return flag.prerequisiteFailed;
      const r = this.run(other, context);
      if (r.reason === 'ERROR' || r.variant !== p.variant) return flag.prerequisiteFailed;
    }
    if (flag.targets !== undefined) {
      const key = context.targetingKey;
      if (typeof key === 'string') {
        const hit = flag.targets.get(key);
        if (hit !== undefined) return hit;
      }
    }
    const rules = flag.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const conditions = rule.conditions;
      let matched = true;
      for (let c = 0; c < conditions.length; c++) {
        if (!conditions[c]!(context)) {
          matched = false;
          break;
        }
      }
      if (matched) return serve(flag, rule.serve, context);
    }
    return serve(flag, flag.defaultServe, context);
  }

  explain(flagKey: string, context: EvaluationContext): Explanation {
    const result = this.evaluate(flagKey, context);
    const flag = this.flags.get(flagKey);
    const explanation: Explanation = { result, decidedBy: 'error', rules: [] };
    if (flag === undefined || contextProblem(context) !== undefined) return explanation;
    if (result.reason === 'DISABLED') return { ...explanation, decidedBy: 'disabled' };
    if (flag.fixed !== undefined) return { ...explanation, decidedBy: result.reason === 'ERROR' ? 'error' : 'default' };
    for (const p of flag.prerequisites) {
      const other = this.flags.get(p.flag);
      const got = other === undefined ? undefined : this.run(other, context);
      if (got === undefined || got.reason === 'ERROR' || got.variant !== p.variant) {
        return {
          ...explanation,
          decidedBy: 'prerequisite',
          failedPrerequisite: { flag: p.flag, wanted: p.variant, got: got?.variant },
        };
      }
    }
    const key = context.targetingKey;
    if (flag.targets !== undefined && typeof key === 'string' && flag.targets.has(key))
      return { ...explanation, decidedBy: 'target' };
    for (const rule of flag.rules) {
      const conditions = rule.conditions.map((c) => c(context));
      const matched = conditions.every(Boolean);
      explanation.rules.push({ index: rule.index, id: rule.id, matched, conditions });
      if (matched) {
        return withBucket(flag, rule.serve, context, {
          ...explanation,
          decidedBy: result.reason === 'ERROR' ? 'error' : 'rule',
          ruleIndex: rule.index,
          ruleId: rule.id,
        });
      }
    }
    return withBucket(flag, flag.defaultServe, context, {
      ...explanation,
      decidedBy: result.reason === 'ERROR' ? 'error' : 'default',
    });
  }
}

/** The context's bucket for this flag, or -1 when its bucketBy value is missing. */
export function bucketOf(flag: CompiledFlag, context: EvaluationContext): number {
  const raw = flag.bucketBy === undefined ? context.targetingKey : flag.bucketBy(context);
  if (typeof raw === 'string') return raw.length === 0 ? -1 : sipHashBucket(flag.sipKey, raw);
  if (typeof raw === 'number' && Number.isFinite(raw)) return sipHashBucket(flag.sipKey, String(raw));
  return -1;
}

function serve(flag: CompiledFlag, s: CompiledServe, context: EvaluationContext): EvaluationResult {
  if (!s.split) return s.result;
  const bucket = bucketOf(flag, context);
  if (bucket < 0) return flag.missingBucketKey;
  const upper = s.upper;
  for (let i = 0; i < upper.length; i++) if (bucket < upper[i]!) return s.results[i]!;
  // Only reachable when weights sum below 100% (validation forbids it): serve the last slice.
  return s.results[s.results.length - 1]!;
}

function withBucket(flag: CompiledFlag, s: CompiledServe, context: EvaluationContext, e: Explanation): Explanation {
  if (!s.split) return e;
  const bucket = bucketOf(flag, context);
  return bucket < 0 ? e : { ...e, bucket };
}

function typeMismatch(flag: CompiledFlag, expected: FlagType): EvaluationResult {
  let r = flag.typeMismatch[expected];
  if (r === undefined) {
    r = errorResult(
      flag.key,
      'TYPE_MISMATCH',
      `flag "${flag.key}" is of type ${flag.type}, not ${expected}`,
      flag.metadata,
    );
    flag.typeMismatch[expected] = r;
  }
  return r;
}

/** Why `context` cannot be evaluated (INVALID_CONTEXT), or undefined: the check `evaluate` makes first. */
export function contextProblem(context: unknown): string | undefined {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) return 'context must be an object';
  const key = (context as EvaluationContext).targetingKey;
  if (key !== undefined && typeof key !== 'string') return 'targetingKey must be a string';
  return undefined;
}

/**
 * Flags that cannot be evaluated because of their prerequisites: in or behind a cycle, or with a
 * chain deeper than MAX_PREREQUISITE_DEPTH. Kahn's algorithm, so a hostile 10k-long chain costs
 * linear time and no recursion.
 */
function findBrokenPrerequisites(snapshot: Snapshot): Map<string, string> {
  const keys = Object.keys(snapshot.flags);
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const depth = new Map<string, number>();
  const ready: string[] = [];
  for (const key of keys) {
    const prereqs = snapshot.flags[key]!.prerequisites.filter((p) => p.flag in snapshot.flags);
    pending.set(key, prereqs.length);
    for (const p of prereqs) {
      const list = dependents.get(p.flag);
      if (list === undefined) dependents.set(p.flag, [key]);
      else list.push(key);
    }
    if (prereqs.length === 0) {
      ready.push(key);
      depth.set(key, 0);
    }
  }
  while (ready.length > 0) {
    const key = ready.pop()!;
    for (const dependent of dependents.get(key) ?? []) {
      depth.set(dependent, Math.max(depth.get(dependent) ?? 0, depth.get(key)! + 1));
      const left = pending.get(dependent)! - 1;
      pending.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  const broken = new Map<string, string>();
  for (const key of keys) {
    if (pending.get(key)! > 0) broken.set(key, `flag "${key}" is in or behind a prerequisite cycle`);
    else if (depth.get(key)! > MAX_PREREQUISITE_DEPTH)
      broken.set(key, `flag "${key}" has prerequisites nested deeper than ${MAX_PREREQUISITE_DEPTH}`);
  }
  return broken;
}
