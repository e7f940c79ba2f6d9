import type { Request } from 'express';
import { badRequest } from '../errors/domain-errors.ts';

/** Project and environment keys: lowercase, digits and dashes, no dots (dots join global ids). */
export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Flag and segment keys in paths; the validators hold the model's exact rule. */
export const ENTITY_KEY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,190}$/;

const check = (value: unknown, pattern: RegExp, name: string): string => {
  if (typeof value !== 'string' || !pattern.test(value))
    throw badRequest(
      `path parameter ${name} is malformed`,
      [{ path: name, message: `must match ${pattern}` }],
      'INVALID_PARAMETER',
    );
  return value;
};

export const projectParam = (req: Request) => check(req.params.projectKey, SLUG, 'projectKey');
export const envParam = (req: Request) => check(req.params.environmentKey, SLUG, 'environmentKey');
export const flagParam = (req: Request) => check(req.params.flagKey, ENTITY_KEY, 'flagKey');
export const segmentParam = (req: Request) => check(req.params.segmentKey, ENTITY_KEY, 'segmentKey');
export const idParam = (req: Request, name: string) => check(req.params[name], /^[1-9][0-9]{0,14}$/, name);

/** Query parameters: only the named ones, each a single string. */
export function queryParams<K extends string>(req: Request, allowed: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  const problems = [];
  for (const [k, v] of Object.entries(req.query)) {
    if (!(allowed as readonly string[]).includes(k))
      problems.push({ path: `query.${k}`, message: 'unknown query parameter' });
    else if (typeof v !== 'string') problems.push({ path: `query.${k}`, message: 'must be given once, as a string' });
    else out[k as K] = v;
  }
  if (problems.length > 0) throw badRequest('malformed query', problems, 'INVALID_PARAMETER');
  return out;
}

/** A bounded integer query parameter. */
export function intParam(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max))
    throw badRequest(
      `query parameter ${name} is malformed`,
      [{ path: `query.${name}`, message: `must be an integer in ${min}..${max}` }],
      'INVALID_PARAMETER',
    );
  return n;
}
