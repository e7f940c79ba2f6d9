import { ENVIRONMENT } from '../http/paths.ts';
import { envParam, flagParam, projectParam, queryParams } from '../http/params.ts';
import type { Route } from '../http/route.ts';
import type { ImpactService } from './impact-service.ts';

const QUERY = ['from', 'to', 'step', 'metrics', 'treatment', 'control'] as const;

export function impactRoutes(impact: ImpactService): Route[] {
  return [
    {
      method: 'get',
      path: `${ENVIRONMENT}/flags/:flagKey/impact`,
      summary:
        "A flag's impact over time: exposures per variant, metrics per variant, treatment - control (Prometheus range queries)",
      access: { role: 'viewer', scope: 'environment' },
      query: QUERY,
      success: 'ok',
      handle: async ({ req }) =>
        impact.impact(projectParam(req), envParam(req), flagParam(req), queryParams(req, QUERY)),
    },
  ];
}
