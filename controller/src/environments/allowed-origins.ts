/**
 * The browser origins an environment allows on the evaluators' OFREP routes (CORS, docs/api.md
 * "Browser clients"). Exact origins only, `scheme://host[:port]` as a browser sends it in the
 * `Origin` header: the evaluator compares strings, so a list entry that a browser could never
 * send (a path, a trailing slash, upper case, a default port) would silently allow nothing.
 * No wildcards: an environment's client keys are public, the origin list is what keeps other
 * sites' pages from using them.
 */
import type { Problem } from '@flagship/evaluator';

/** Most origins one environment lists. */
export const MAX_ALLOWED_ORIGINS = 100;

/** The problems of an `allowedOrigins` value (already known to be a string array), path-precise. */
export function allowedOriginProblems(origins: readonly string[], path = 'allowedOrigins'): Problem[] {
  const problems: Problem[] = [];
  if (origins.length > MAX_ALLOWED_ORIGINS)
    problems.push({ path, message: `lists at most ${MAX_ALLOWED_ORIGINS} origins` });
  const seen = new Set<string>();
  origins.forEach((origin, i) => {
    const problem = originProblem(origin);
    if (problem !== undefined) problems.push({ path: `${path}[${i}]`, message: problem });
    else if (seen.has(origin)) problems.push({ path: `${path}[${i}]`, message: `lists ${origin} twice` });
    seen.add(origin);
  });
  return problems;
}

function originProblem(origin: string): string | undefined {
  const example = 'an exact origin such as https://app.example.com (scheme, host, optional port; no path)';
  if (origin === '*' || origin === 'null') return `must be ${example}; wildcards and "null" are not allowed`;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `must be ${example}`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be an http or https origin`;
  if (url.username !== '' || url.password !== '') return `must not carry a user or password`;
  // URL.origin is the browser's serialisation: lower-case host, no default port, no path.
  if (url.origin !== origin) return `must be ${example}; as a browser sends it this is ${url.origin}`;
  return undefined;
}
