/**
 * The admin API's express application: request ids, authentication, raw bodies (size limits),
 * the declared routes behind their access, the 404 and the one error handler. The composition
 * root (app.ts) hands it the routes; nothing outside http/ touches express.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { ApiKeyService } from '../api-keys/api-key-service.ts';
import type { VerifiedKeyCache } from '../auth/verified-key-cache.ts';
import { NotFoundError } from '../errors/domain-errors.ts';
import { authenticate } from './authenticate.ts';
import { errorHandler } from './error-handler.ts';
import { API } from './paths.ts';
import { type Route, routerOf } from './route.ts';

export const JSON_LIMIT = '1mb';
/** Whole-environment imports are bigger than any single object. */
export const IMPORT_LIMIT = '10mb';

/** The HTTP server's request listener, as `main.ts` and the tests start it. */
export type HttpApp = Express;

export interface AdminAppOptions {
  routes: readonly Route[];
  keys: ApiKeyService;
  verifiedKeys: VerifiedKeyCache;
  log: (message: string, error?: unknown) => void;
}

export function createAdminApp(o: AdminAppOptions): HttpApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.set('x-request-id', id);
    next();
  });
  app.use(API, authenticate(o.keys, o.verifiedKeys));
  // Bodies are buffered raw (size limit: 413) and parsed by routes after authorization.
  const small = express.raw({ type: () => true, limit: JSON_LIMIT });
  const large = express.raw({ type: () => true, limit: IMPORT_LIMIT });
  app.use(API, (req, res, next) => (req.path.endsWith('/import') ? large : small)(req, res, next));
  app.use(routerOf(o.routes));
  app.use((req: Request, _res: Response, next: NextFunction) =>
    next(new NotFoundError('NOT_FOUND', `no route ${req.method} ${req.path}`)),
  );
  app.use(errorHandler(o.log));
  return app;
}
