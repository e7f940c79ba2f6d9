/**
 * The check a snapshot from the wire or the file passes before it is compiled. Not the full
 * `validateSnapshot`: the publisher validated it before storing it, and the evaluators serve it as
 * stored, including what validation refuses at save time but the engine evaluates safely (a
 * prerequisite cycle answers GENERAL). So: the shape, then a compile that must not throw.
 */
import { compileSnapshot, type Engine, type Snapshot } from '@flagship/evaluator';

/** The compiled snapshot, or why it cannot be served. */
export function compileChecked(input: unknown): { snapshot: Snapshot; engine: Engine } | { problem: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { problem: 'not an object' };
  const s = input as Record<string, unknown>;
  if (typeof s.environment !== 'string') return { problem: 'environment: expected a string' };
  if (typeof s.version !== 'number' || !Number.isInteger(s.version)) return { problem: 'version: expected an integer' };
  for (const field of ['flags', 'segments'] as const) {
    const v = s[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problem: `${field}: expected an object` };
  }
  try {
    return { snapshot: input as Snapshot, engine: compileSnapshot(input as Snapshot) };
  } catch (e) {
    return { problem: `it does not compile: ${(e as Error).message}` };
  }
}
