/**
 * Admin API routes as data: each route declares its method, path, access, body, query and
 * success outcome beside its handler, which only parses and delegates to a service.
 * {@link routerOf} registers them on express and enforces the declared access before the
 * handler runs; the OpenAPI document (openapi/openapi-document.ts) and the authorization matrix
 * test read the same declarations. Handlers keep only the checks a declaration cannot express
 * (they depend on the body or the query: the kill switch's environments, the audit filter, and
 * change-impact.ts's per-change decisions inside the services).
 */
import { type Request, type Response, Router } from 'express';
import {
  type Access,
  ACCESS_SCOPES,
  LADDER_ROLES,
  requireEnvironment,
  requireProjectRead,
  requireRole,
  requireUnrestricted,
} from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { envParam, projectParam } from './params.ts';
import { contextOf, type RequestContext } from './request-context.ts';

/** What a successful call answers; the status numbers live here only. */
export type Outcome = 'ok' | 'created' | 'accepted' | 'no-content';
const SUCCESS_STATUS: Record<Outcome, number> = { ok: 200, created: 201, accepted: 202, 'no-content': 204 };
export const successStatus = (o: Outcome): number => SUCCESS_STATUS[o];

/** How the handler shapes the answer besides returning its JSON body. */
export interface Reply {
  /** `ETag: "<version>"`. */
  etag(version: number): void;
  /** `value` as the body, its version as the ETag: what reads and writes of a versioned resource answer. */
  versioned<T extends { version: number }>(value: T): T;
  /** Answer with this outcome instead of the route's declared one (the kill switch's 202). */
  outcome(o: Outcome): void;
  /** Send this YAML text instead of a JSON body. */
  yaml(text: string): void;
}

export interface RouteCall {
  req: Request;
  ctx: RequestContext;
  reply: Reply;
}

export interface Route {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express path syntax (`/api/v1/projects/:projectKey`). */
  path: string;
  summary: string;
  access: Access;
  body?: 'json' | 'optional-json' | 'document';
  query?: readonly string[];
  success: Outcome;
  /** Returns the JSON body (ignored for `no-content`). */
  handle(call: RouteCall): unknown;
}

/** Refuses a caller the route's declaration excludes: role first, then the scope. */
export function enforceAccess(access: Access, ctx: RequestContext, req: Request): void {
  requireRole(ctx.actor, access.role);
  switch (access.scope) {
    case 'project':
    case 'body-environments':
      requireProjectRead(ctx.actor, projectParam(req));
      return;
    case 'environment':
      requireEnvironment(ctx.actor, environmentId(projectParam(req), envParam(req)));
      return;
    case 'unrestricted':
      requireUnrestricted(ctx.actor);
      return;
    case 'any':
    case 'audit':
      return;
  }
}

/** A route that declares no valid access is a programming error: the process refuses to start. */
export function checkDeclaration(route: Route): void {
  const a = route.access as Partial<Access> | undefined;
  if (!a || !LADDER_ROLES.includes(a.role!) || !ACCESS_SCOPES.includes(a.scope!)) {
    throw new Error(`route ${route.method.toUpperCase()} ${route.path} declares no valid access (role and scope)`);
  }
}

/** One express router serving the routes in order, each behind its declared access. */
export function routerOf(routes: readonly Route[]): Router {
  const router = Router();
  for (const route of routes) {
    checkDeclaration(route);
    router[route.method](route.path, async (req: Request, res: Response) => {
      const ctx = contextOf(req, res);
      enforceAccess(route.access, ctx, req);
      let outcome = route.success;
      let yaml: string | undefined;
      const reply: Reply = {
        etag: (version) => void res.set('ETag', `"${version}"`),
        versioned: (value) => {
          res.set('ETag', `"${value.version}"`);
          return value;
        },
        outcome: (o) => void (outcome = o),
        yaml: (text) => void (yaml = text),
      };
      const body = await route.handle({ req, ctx, reply });
      res.status(SUCCESS_STATUS[outcome]);
      if (outcome === 'no-content') res.end();
      else if (yaml !== undefined) res.type('application/yaml').send(yaml);
      else res.json(body);
    });
  }
  return router;
}
