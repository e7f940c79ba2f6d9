import { API } from '../http/paths.ts';
import type { Route } from '../http/route.ts';

/** The OpenAPI document of all routes (built once, by the composition root, from their declarations). */
export function openApiRoutes(document: () => Record<string, unknown>): Route[] {
  return [
    {
      method: 'get',
      path: `${API}/openapi.json`,
      summary: 'This document',
      access: { role: 'viewer', scope: 'any' },
      success: 'ok',
      handle: () => document(),
    },
  ];
}
