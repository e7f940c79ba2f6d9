/**
 * The unsaved draft as the snapshot the server's preview would compile for it: the
 * environment's other flags and segments as they are, this flag's definition with the draft as
 * its config. controller/src/preview/preview-service.ts compiles the environment's state with
 * version 0 and asks the engine to explain the flag; this does the same in the browser.
 */
import {
  compileSnapshot,
  validateFlagConfig,
  type EvaluationContext,
  type Engine,
  type Explanation,
  type Flag,
  type FlagConfig,
  type Problem,
  type Segment,
  type Snapshot,
  type SnapshotFlag,
} from '@flagship/evaluator';

/** The model fields of a flag in a snapshot (a definition read from the API carries more). */
function snapshotFlagOf(definition: Flag, config: FlagConfig, version: number): SnapshotFlag {
  return {
    key: definition.key,
    type: definition.type,
    ...(definition.description !== undefined ? { description: definition.description } : {}),
    ...(definition.tags !== undefined ? { tags: definition.tags } : {}),
    variants: definition.variants,
    salt: definition.salt,
    enabled: config.enabled,
    offVariant: config.offVariant,
    prerequisites: config.prerequisites,
    targets: config.targets,
    rules: config.rules,
    defaultRule: config.defaultRule,
    ...(config.bucketBy !== undefined ? { bucketBy: config.bucketBy } : {}),
    ...(config.failMode !== undefined ? { failMode: config.failMode } : {}),
    version,
  };
}

export interface DraftSnapshotInput {
  definition: Flag;
  draft: FlagConfig;
  /** The other flags of the environment, as its snapshot holds them (for prerequisites). */
  otherFlags: readonly SnapshotFlag[];
  segments: readonly Segment[];
  /** The environment's key (only metadata). */
  environment?: string;
}

/** The snapshot the draft would be part of, pinned at version 0 as the preview pins it. */
export function draftSnapshot(input: DraftSnapshotInput): Snapshot {
  const flags: Record<string, SnapshotFlag> = {};
  for (const f of input.otherFlags) if (f.key !== input.definition.key) flags[f.key] = f;
  flags[input.definition.key] = snapshotFlagOf(input.definition, input.draft, 0);
  const segments: Record<string, Segment> = {};
  for (const s of input.segments) segments[s.key] = s;
  return { environment: input.environment ?? '', version: 0, flags, segments };
}

/** A compiled draft: the engine, or why it could not be compiled, and what validation says of the draft. */
export interface CompiledDraft {
  flagKey: string;
  engine: Engine | undefined;
  compileError: string | undefined;
  /** The draft's problems by the same validation the API runs on a save (empty when it would pass). */
  problems: Problem[];
  /**
   * Prerequisite flags the draft names that are not among the other flags given: the engine
   * fails such a prerequisite, as the server does only when the flag really is not in the
   * environment's snapshot (the page may simply not have loaded it).
   */
  missingPrerequisites: string[];
}

/** Compiles the draft's snapshot (once per draft; evaluate any number of contexts with it). */
export function compileDraft(input: DraftSnapshotInput): CompiledDraft {
  const validated = validateFlagConfig(input.draft, input.definition, new Set(input.segments.map((s) => s.key)));
  const problems = validated.ok ? [] : validated.problems;
  const known = new Set(input.otherFlags.map((f) => f.key));
  const missingPrerequisites = [
    ...new Set(input.draft.prerequisites.map((p) => p.flag).filter((k) => !known.has(k) && k !== input.definition.key)),
  ];
  try {
    return {
      flagKey: input.definition.key,
      engine: compileSnapshot(draftSnapshot(input)),
      compileError: undefined,
      problems,
      missingPrerequisites,
    };
  } catch (error) {
    // The engine never throws on a validated snapshot; a half-typed draft may not be one.
    return {
      flagKey: input.definition.key,
      engine: undefined,
      compileError: error instanceof Error ? error.message : String(error),
      problems,
      missingPrerequisites,
    };
  }
}

/** What a context's JSON text gets from the compiled draft. */
export type TryOutcome = { ok: true; explanation: Explanation } | { ok: false; error: string };

/** Parses the context text and explains the flag for it, as the preview does. */
export function tryContext(compiled: CompiledDraft, contextText: string): TryOutcome {
  let context: unknown;
  try {
    context = JSON.parse(contextText);
  } catch (error) {
    return { ok: false, error: `The context is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof context !== 'object' || context === null || Array.isArray(context))
    return { ok: false, error: 'The context must be a JSON object, e.g. {"targetingKey": "user-1"}.' };
  if (compiled.engine === undefined)
    return { ok: false, error: `The draft cannot be evaluated: ${compiled.compileError ?? ''}` };
  try {
    return { ok: true, explanation: compiled.engine.explain(compiled.flagKey, context as EvaluationContext) };
  } catch (error) {
    return {
      ok: false,
      error: `The draft cannot be evaluated: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
