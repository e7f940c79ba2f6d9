import { Router } from 'express';
import { requireEnvironment, requireProjectRead, requireRole, requireUnrestricted } from '../auth/access.ts';
import { invalidModel } from '../http/api-error.ts';
import { ENVIRONMENT, PROJECT } from '../http/paths.ts';
import { envParam, projectParam, SLUG } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape } from '../http/shape.ts';
import { expectedVersion, setEtag } from '../http/versions.ts';
import { environmentId } from './environment-store.ts';
import type { EnvironmentService } from './environment-service.ts';

export function environmentRoutes(envs: EnvironmentService): Router {
  const r = Router();

  r.get(`${PROJECT}/environments`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    const p = projectParam(req);
    requireProjectRead(ctx.actor, p);
    res.json({ items: await envs.list(p) });
  });

  r.post(`${PROJECT}/environments`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    const p = projectParam(req);
    const body = jsonBody(req);
    checkShape(body, { key: { type: 'string', required: true, max: 200 }, name: { type: 'string', max: 255 }, requireApproval: { type: 'boolean' } });
    if (!SLUG.test(body.key as string)) throw invalidModel([{ path: 'key', message: `must match ${SLUG}` }]);
    const env = await envs.create(ctx, p, body as { key: string; name?: string; requireApproval?: boolean });
    setEtag(res, env.version);
    res.status(201).json(env);
  });

  r.get(ENVIRONMENT, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    const [p, e] = [projectParam(req), envParam(req)];
    requireEnvironment(ctx.actor, environmentId(p, e));
    const env = await envs.get(p, e);
    setEtag(res, env.version);
    res.json(env);
  });

  r.put(ENVIRONMENT, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    const [p, e] = [projectParam(req), envParam(req)];
    const body = jsonBody(req);
    checkShape(body, { name: { type: 'string', max: 255 }, requireApproval: { type: 'boolean' }, version: { type: 'integer' } });
    const version = expectedVersion(req, body.version);
    const env = await envs.update(ctx, p, e, version, body as { name?: string; requireApproval?: boolean });
    setEtag(res, env.version);
    res.json(env);
  });

  r.delete(ENVIRONMENT, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    await envs.delete(ctx, projectParam(req), envParam(req));
    res.status(204).end();
  });

  return r;
}
