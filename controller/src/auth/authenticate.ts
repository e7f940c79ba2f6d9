import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyService } from '../api-keys/api-key-service.ts';
import { ApiError } from '../http/api-error.ts';

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
export function authenticate(keys: ApiKeyService) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = presentedToken(req);
    if (token === undefined) return next(new ApiError(401, 'UNAUTHENTICATED', 'send an API key: Authorization: Bearer <key> or X-API-Key'));
    const actor = await keys.authenticate(token);
    if (!actor) return next(new ApiError(401, 'UNAUTHENTICATED', 'unknown or revoked API key'));
    if (actor.role === 'sdk') return next(new ApiError(403, 'SDK_KEY_NOT_ALLOWED', 'SDK keys are for the evaluator, not the admin API'));
    res.locals.actor = actor;
    next();
  };
}
