/**
 * `@flagship/evaluator`: the engine core every part of the product imports (controller,
 * workers, the evaluator server, the console and the SDKs): the flag model, validation of
 * untrusted model input, and the engine that compiles a snapshot and evaluates contexts.
 *
 * Browser-safe by construction: nothing below this barrel imports a Node built-in or a
 * Node-only package, reads the environment or does I/O. `evaluator/tsconfig.core.json` checks it
 * without Node types and `browser-bundle.test.ts` bundles it for `platform=browser`. Transports
 * live behind their own subpaths (`@flagship/evaluator/propagation`, `@flagship/evaluator/server`).
 * See docs/architecture.md.
 */

// The flag model (plain JSON-shaped data) and evaluation results, in OpenFeature's terms.
export * from './model/flag.ts';
export * from './model/result.ts';
// What changed between two JSON documents (the audit log's diffs, the console's conflict and
// change-request views).
export * from './model/json-diff.ts';
// What changed from one snapshot version to the next, and how a client applies it.
export * from './model/snapshot-delta.ts';
// A snapshot's JSON entry by entry: in slices, and again after a delta for what it touched.
export * from './model/snapshot-json.ts';

// The engine: compile a snapshot once, evaluate any number of contexts. Total: errors come back
// as results with reason ERROR, never thrown.
export type { CompileSnapshot, Engine, Explanation, FixedAnswer } from './engine/engine.ts';
export {
  compileSnapshot,
  compileSnapshotInSlices,
  contextProblem,
  type IncrementalSource,
  MAX_PREREQUISITE_DEPTH,
} from './engine/compile-snapshot.ts';

// The operators' runtime (SemVer, dates, RE2 regular expressions), shared with validation so a
// value is accepted at save time exactly when the engine can evaluate it.
export * from './engine/runtime/index.ts';

// Validators for untrusted input (API bodies, stored rows, snapshots from the wire) and the
// toolkit they are built from.
export * from './validation/index.ts';
