import { Router } from 'express';
import { requireEnvironment, requireRole } from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { badRequest } from '../http/api-error.ts';
import { ENVIRONMENT } from '../http/paths.ts';
import { envParam, projectParam, segmentParam } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape, type Shape } from '../http/shape.ts';
import { expectedVersion, setEtag } from '../http/versions.ts';
import type { SegmentService } from './segment-service.ts';

const SEGMENT: Shape = {
  key: { type: 'string' }, description: { type: 'string' }, included: { type: 'array' }, excluded: { type: 'array' }, rules: { type: 'array' },
};

export function segmentRoutes(segments: SegmentService): Router {
  const r = Router();
  const scope = (req: Parameters<typeof projectParam>[0], actor: Parameters<typeof requireRole>[0], role: 'viewer' | 'editor') => {
    requireRole(actor, role);
    const [p, e] = [projectParam(req), envParam(req)];
    requireEnvironment(actor, environmentId(p, e));
    return [p, e] as const;
  };

  r.get(`${ENVIRONMENT}/segments`, async (req, res) => {
    const ctx = contextOf(req, res);
    const [p, e] = scope(req, ctx.actor, 'viewer');
    res.json({ items: (await segments.list(p, e)).map((x) => x.segment) });
  });

  r.post(`${ENVIRONMENT}/segments`, async (req, res) => {
    const ctx = contextOf(req, res);
    const [p, e] = scope(req, ctx.actor, 'editor');
    const body = jsonBody(req);
    checkShape(body, { ...SEGMENT, key: { type: 'string', required: true } });
    const created = await segments.create(ctx, p, e, body);
    setEtag(res, created.segment.version);
    res.status(201).json(created.segment);
  });

  r.get(`${ENVIRONMENT}/segments/:segmentKey`, async (req, res) => {
    const ctx = contextOf(req, res);
    const [p, e] = scope(req, ctx.actor, 'viewer');
    const found = await segments.get(p, e, segmentParam(req));
    setEtag(res, found.segment.version);
    res.json(found.segment);
  });

  r.put(`${ENVIRONMENT}/segments/:segmentKey`, async (req, res) => {
    const ctx = contextOf(req, res);
    const [p, e] = scope(req, ctx.actor, 'editor');
    const key = segmentParam(req);
    const body = jsonBody(req);
    checkShape(body, { ...SEGMENT, version: { type: 'integer' } });
    if (body.key !== undefined && body.key !== key) throw badRequest('the body key differs from the path', [{ path: 'key', message: `must be ${key}` }]);
    const version = expectedVersion(req, body.version);
    const { version: _v, ...segment } = body;
    const saved = await segments.update(ctx, p, e, key, version, segment);
    setEtag(res, saved.segment.version);
    res.json(saved.segment);
  });

  r.delete(`${ENVIRONMENT}/segments/:segmentKey`, async (req, res) => {
    const ctx = contextOf(req, res);
    const [p, e] = scope(req, ctx.actor, 'editor');
    await segments.delete(ctx, p, e, segmentParam(req));
    res.status(204).end();
  });

  return r;
}
