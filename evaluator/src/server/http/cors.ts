/**
 * CORS of the OFREP routes, for browser clients (docs/api.md, "Browser clients"). Each
 * environment lists the exact origins its pages are served from (the envelope's `clients`):
 * - a preflight (OPTIONS) carries no key, so it is allowed when any served environment allows
 *   the origin; it only lets the browser send the real request;
 * - the real request gets `Access-Control-Allow-Origin` only when it is authenticated with a
 *   client key whose environment allows the origin. SDK keys get none: a server key in a page
 *   would hand the environment's snapshot to anyone who opens it.
 * Never `Access-Control-Allow-Credentials`: keys travel in headers, cookies are never used.
 */
import type { EvaluatorRequest } from './evaluator-request.ts';

/** Seconds a browser may cache a preflight answer (Chromium caps it at 7200). */
export const PREFLIGHT_MAX_AGE_S = 600;

/** The answer headers of an allowed preflight (the origin is added per request). */
export const PREFLIGHT_HEADERS = [
  'Access-Control-Allow-Methods',
  'POST, GET',
  'Access-Control-Allow-Headers',
  'Authorization, Content-Type, If-None-Match, X-API-Key',
  'Access-Control-Max-Age',
  String(PREFLIGHT_MAX_AGE_S),
] as const;

/** Where the origin lists come from: the served environments. */
export interface OriginDirectory {
  originAllowedAnywhere(origin: string): boolean;
}

/**
 * Sets `req.corsOrigin` for an authenticated OFREP request: its Origin when it is a client key's
 * request and `allowed` (the key's environment's origins) has it.
 */
export function allowOriginFor(req: EvaluatorRequest, allowed: ReadonlySet<string> | undefined): void {
  const origin = req.headers.origin;
  req.corsOrigin = origin !== undefined && req.clientKey && allowed !== undefined && allowed.has(origin) ? origin : '';
}

/**
 * Sets `req.corsOrigin` for an answer given before a key is known (401, 503): allowed when any
 * environment allows the origin, so a page can read why it was refused rather than see a
 * network error.
 */
export function allowOriginUnauthenticated(req: EvaluatorRequest, origins: OriginDirectory): void {
  const origin = req.headers.origin;
  req.corsOrigin = origin !== undefined && origins.originAllowedAnywhere(origin) ? origin : '';
}

/**
 * The CORS headers of an answer to `req`, appended to `headers`: with an allowed origin, the
 * origin, `ETag` readable by the page, and `Vary: Origin` (the answer differs by origin); with
 * an Origin that is not allowed, `Vary: Origin` only; with no Origin (server clients), nothing.
 */
export function appendCorsHeaders(req: EvaluatorRequest, headers: string[]): string[] {
  if (req.corsOrigin !== '')
    headers.push(
      'Access-Control-Allow-Origin',
      req.corsOrigin,
      'Access-Control-Expose-Headers',
      'ETag',
      'Vary',
      'Origin',
    );
  else if (req.headers.origin !== undefined) headers.push('Vary', 'Origin');
  return headers;
}

/**
 * Answers a preflight of an OFREP route: 204 with the allowed methods and headers when any
 * environment allows the origin and the method is one the routes serve; 403 otherwise (no CORS
 * headers, so the browser refuses to send the request).
 */
/** The two writers of reply.ts a preflight answer needs (structural: reply.ts imports this module). */
export interface PreflightReplies {
  json(req: EvaluatorRequest, status: number, body: unknown): void;
  fixed(req: EvaluatorRequest, status: number, headers: string[], body: undefined): void;
}

export function answerPreflight(req: EvaluatorRequest, origins: OriginDirectory, replies: PreflightReplies): void {
  const origin = req.headers.origin;
  const method = req.headers['access-control-request-method'];
  if (origin === undefined || !origins.originAllowedAnywhere(origin) || (method !== 'POST' && method !== 'GET')) {
    req.corsOrigin = '';
    replies.json(req, 403, { error: 'this origin is not allowed to call OFREP on this evaluator' });
    return;
  }
  req.corsOrigin = origin;
  replies.fixed(req, 204, [...PREFLIGHT_HEADERS], undefined);
}
