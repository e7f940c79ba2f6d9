import type { EvaluationContext } from '@flagship/evaluator';
import { ENVIRONMENT } from '../http/paths.ts';
import { envParam, flagParam, projectParam } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape } from '../http/shape.ts';
import type { PreviewService } from './preview-service.ts';

export function previewRoutes(preview: PreviewService): Route[] {
  return [
    {
      method: 'post',
      path: `${ENVIRONMENT}/flags/:flagKey/preview`,
      summary: 'Explain what a context would get',
      access: { role: 'viewer', scope: 'environment' },
      body: 'json',
      success: 'ok',
      handle: async ({ req }) => {
        const [p, e, f] = [projectParam(req), envParam(req), flagParam(req)];
        const body = jsonBody(req);
        checkShape(body, { context: { type: 'object', required: true } });
        return preview.preview(p, e, f, body.context as EvaluationContext);
      },
    },
  ];
}
