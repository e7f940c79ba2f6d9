/**
 * Turns an OFREP request body (`{"context": {...}}`) into an evaluation context, or into the
 * OFREP error the client gets. Never throws: hostile input is data.
 */
import type { ErrorCode, EvaluationContext } from '../../model/result.ts';

/** A body that could not be used: the error code and a human-readable reason. */
export class BodyProblem {
  constructor(
    readonly errorCode: ErrorCode,
    readonly details: string,
  ) {}
}

/**
 * The deepest `{`/`[` nesting in raw JSON bytes, stopping as soon as it exceeds `limit`, so a
 * 10,000-deep document is refused after `limit` bytes of nesting without JSON.parse building it.
 * Brackets inside strings do not count. Returns limit + 1 when exceeded.
 */
export function jsonDepthExceeds(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte (multi-byte escapes are harmless)
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

const EMPTY_BODY = new BodyProblem('PARSE_ERROR', 'request body is empty; expected {"context": {...}}');
const NOT_OBJECT = new BodyProblem('INVALID_CONTEXT', 'request body must be a JSON object {"context": {...}}');
const NO_CONTEXT = new BodyProblem('INVALID_CONTEXT', 'request body has no "context" object');
const CONTEXT_NOT_OBJECT = new BodyProblem('INVALID_CONTEXT', '"context" must be a JSON object');
const BAD_TARGETING_KEY = new BodyProblem('INVALID_CONTEXT', '"targetingKey" must be a string');

/**
 * Parses an OFREP request body into its context. `maxDepth` bounds nesting inside the context
 * (the body object itself is one more level).
 */
export function parseRequestContext(body: Buffer, maxDepth: number): EvaluationContext | BodyProblem {
  if (body.length === 0) return EMPTY_BODY;
  if (jsonDepthExceeds(body, maxDepth + 1)) {
    return new BodyProblem('INVALID_CONTEXT', `context is nested deeper than ${maxDepth} levels`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return new BodyProblem('PARSE_ERROR', `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return NOT_OBJECT;
  const context = (parsed as { context?: unknown }).context;
  if (context === undefined) return NO_CONTEXT;
  if (typeof context !== 'object' || context === null || Array.isArray(context)) return CONTEXT_NOT_OBJECT;
  const key = (context as EvaluationContext).targetingKey;
  if (key !== undefined && typeof key !== 'string') return BAD_TARGETING_KEY;
  return context as EvaluationContext;
}
