import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyService } from '../api-keys/api-key-service.ts';
import { hashApiKey } from '@flagship/evaluator/propagation';
import { UnauthenticatedError, UnavailableError, forbidden } from '../errors/domain-errors.ts';
import type { Actor } from './request-context.ts';
import { isDatabaseUnavailable } from '../propagation/emergency-kill.ts';
import { VerifiedKeyCache } from '../auth/verified-key-cache.ts';

// The kill switch must work while the database is down, and so must authenticating for it:
// keys the database verified in the last 15 minutes (auth/verified-key-cache.ts) are accepted
// for that one route only.
const KILL_ROUTE = /^\/api\/v1\/projects\/[^/]+\/flags\/[^/]+\/kill$/;

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
export function authenticate(keys: ApiKeyService, verified: VerifiedKeyCache = new VerifiedKeyCache()) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = presentedToken(req);
    if (token === undefined)
      return next(
        new UnauthenticatedError('UNAUTHENTICATED', 'send an API key: Authorization: Bearer <key> or X-API-Key'),
      );
    let actor: Actor | undefined;
    const hash = hashApiKey(token);
    try {
      actor = await keys.authenticate(token);
      if (actor) verified.remember(hash, actor);
      else verified.forget(hash); // unknown or revoked now: never again from memory
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      const killing = req.method === 'POST' && KILL_ROUTE.test(req.originalUrl.split('?')[0]!);
      const remembered = killing ? await verified.recall(hash) : undefined;
      if (!remembered)
        return next(
          new UnavailableError(
            'DATABASE_UNAVAILABLE',
            'the database is unreachable; only the kill switch works now, for keys verified before the outage',
          ),
        );
      actor = remembered;
    }
    if (!actor) return next(new UnauthenticatedError('UNAUTHENTICATED', 'unknown or revoked API key'));
    if (actor.role === 'sdk')
      return next(forbidden('SDK keys are for the evaluator, not the admin API', 'SDK_KEY_NOT_ALLOWED'));
    if (actor.role === 'client')
      return next(forbidden("client keys are for browsers' OFREP calls, not the admin API", 'CLIENT_KEY_NOT_ALLOWED'));
    res.locals.actor = actor;
    next();
  };
}
