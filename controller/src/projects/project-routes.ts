import { Router } from 'express';
import { requireProjectRead, requireRole, requireUnrestricted } from '../auth/access.ts';
import { invalidModel } from '../http/api-error.ts';
import { API, PROJECT } from '../http/paths.ts';
import { projectParam, SLUG } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape } from '../http/shape.ts';
import { expectedVersion, setEtag } from '../http/versions.ts';
import type { ProjectService } from './project-service.ts';

export function projectRoutes(projects: ProjectService): Router {
  const r = Router();

  r.get(`${API}/projects`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    res.json({ items: await projects.list(ctx) });
  });

  r.post(`${API}/projects`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    const body = jsonBody(req);
    checkShape(body, { key: { type: 'string', required: true, max: 200 }, name: { type: 'string', max: 255 }, description: { type: 'string', max: 10_000 } });
    if (!SLUG.test(body.key as string)) throw invalidModel([{ path: 'key', message: `must match ${SLUG}` }]);
    const p = await projects.create(ctx, body as { key: string; name?: string; description?: string });
    setEtag(res, p.version);
    res.status(201).json(p);
  });

  r.get(PROJECT, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    const key = projectParam(req);
    requireProjectRead(ctx.actor, key);
    const p = await projects.get(key);
    setEtag(res, p.version);
    res.json(p);
  });

  r.put(PROJECT, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    const key = projectParam(req);
    const body = jsonBody(req);
    checkShape(body, { name: { type: 'string', max: 255 }, description: { type: 'string', max: 10_000 }, version: { type: 'integer' } });
    const version = expectedVersion(req, body.version);
    const p = await projects.update(ctx, key, version, body as { name?: string; description?: string });
    setEtag(res, p.version);
    res.json(p);
  });

  r.delete(PROJECT, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    await projects.delete(ctx, projectParam(req));
    res.status(204).end();
  });

  return r;
}
