/**
 * Validation of untrusted flag-model input (API bodies, stored rows, snapshots from the wire).
 * Every validator is total: it never throws, reports every problem it finds (up to
 * MAX_PROBLEMS) with the path of the offending value, and on success returns a fresh copy that
 * holds only known fields, safe to store as is. No Node built-ins: this runs in the browser.
 */
export { formatProblem, MAX_PROBLEMS } from './problems.ts';
export type { Problem, Validated } from './problems.ts';
export { validateFlag } from './flag-schema.ts';
export { validateFlagConfig } from './config-schema.ts';
export { validateSegment } from './segment-schema.ts';
export { validateSnapshot } from './snapshot-schema.ts';
export { findPrerequisiteCycles } from './prerequisite-cycles.ts';
export { generateSalt } from './salt.ts';

// The toolkit the schemas above are built from, for other schemas of the product (ramp
// policies, API bodies) so that every problem reads the same way.
export { ProblemCollector, pathKey, pathIndex, quote, describeType } from './problems.ts';
export {
  isRecord,
  own,
  expectRecord,
  checkUnknownFields,
  requirePresent,
  checkKey,
  checkString,
  checkInteger,
  checkBoolean,
  checkArray,
  KEY_PATTERN,
} from './fields.ts';
export type { JsonRecord } from './fields.ts';
export { didYouMean } from './suggest.ts';
