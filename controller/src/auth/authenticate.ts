import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyService } from '../api-keys/api-key-service.ts';
import { hashApiKey } from '../api-keys/hash-api-key.ts';
import { ApiError } from '../http/api-error.ts';
import type { Actor } from '../http/request-context.ts';
import { isDatabaseUnavailable } from '../propagation/emergency-kill.ts';

// The kill switch must work while the database is down, and so must authenticating for it:
// keys verified in the last 15 minutes are remembered (by hash) for that one route only.
const KILL_ROUTE = /^\/api\/v1\/projects\/[^/]+\/flags\/[^/]+\/kill$/;
const REMEMBER_MS = 15 * 60_000;
const REMEMBER_MAX = 10_000;

/** The presented token: `Authorization: Bearer <token>` or `X-API-Key: <token>`. */
export function presentedToken(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const key = req.headers['x-api-key'];
  return typeof key === 'string' && key.length > 0 && key.length <= 512 ? key : undefined;
}

/** Every admin route needs a known, unrevoked key; SDK keys belong to the evaluator (403). */
export function authenticate(keys: ApiKeyService, now: () => number = Date.now) {
  const remembered = new Map<string, { actor: Actor; at: number }>();
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = presentedToken(req);
    if (token === undefined) return next(new ApiError(401, 'UNAUTHENTICATED', 'send an API key: Authorization: Bearer <key> or X-API-Key'));
    let actor: Actor | undefined;
    const hash = hashApiKey(token);
    try {
      actor = await keys.authenticate(token);
      if (actor) {
        remembered.delete(hash);
        if (remembered.size >= REMEMBER_MAX) remembered.delete(remembered.keys().next().value!);
        remembered.set(hash, { actor, at: now() });
      }
    } catch (error) {
      const memory = remembered.get(hash);
      const killing = req.method === 'POST' && KILL_ROUTE.test(req.originalUrl.split('?')[0]!);
      if (!killing || !isDatabaseUnavailable(error) || !memory || now() - memory.at > REMEMBER_MS) {
        if (isDatabaseUnavailable(error)) return next(new ApiError(503, 'DATABASE_UNAVAILABLE', 'the database is unreachable; only the kill switch works now'));
        throw error;
      }
      actor = memory.actor;
    }
    if (!actor) return next(new ApiError(401, 'UNAUTHENTICATED', 'unknown or revoked API key'));
    if (actor.role === 'sdk') return next(new ApiError(403, 'SDK_KEY_NOT_ALLOWED', 'SDK keys are for the evaluator, not the admin API'));
    res.locals.actor = actor;
    next();
  };
}
