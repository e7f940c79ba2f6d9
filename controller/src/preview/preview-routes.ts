import type { EvaluationContext } from '@flagship/evaluator';
import { Router } from 'express';
import { requireEnvironment, requireRole } from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { ENVIRONMENT } from '../http/paths.ts';
import { envParam, flagParam, projectParam } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape } from '../http/shape.ts';
import type { PreviewService } from './preview-service.ts';

export function previewRoutes(preview: PreviewService): Router {
  const r = Router();
  r.post(`${ENVIRONMENT}/flags/:flagKey/preview`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    const [p, e, f] = [projectParam(req), envParam(req), flagParam(req)];
    requireEnvironment(ctx.actor, environmentId(p, e));
    const body = jsonBody(req);
    checkShape(body, { context: { type: 'object', required: true } });
    res.json(await preview.preview(p, e, f, body.context as EvaluationContext));
  });
  return r;
}
