/**
 * What the engine's operators run on besides plain comparisons: strict SemVer 2.0.0, the
 * instants `before` / `after` accept, and RE2 regular expressions in linear time. Validation
 * imports the same functions, so a value is accepted at save time exactly when the engine can
 * evaluate it. Pure functions, no Node built-ins (the core's tsconfig checks it).
 */
export { parseSemver, compareSemver, MAX_SEMVER_LENGTH } from './semver.ts';
export type { SemVer } from './semver.ts';
export { parseDateValue } from './date-value.ts';
export { compileRegex, regexProblem, MAX_REGEX_INPUT, MAX_REGEX_LENGTH, MAX_REGEX_PROGRAM } from './regex.ts';
export type { CompiledRegex, RegexRefusal } from './regex.ts';
