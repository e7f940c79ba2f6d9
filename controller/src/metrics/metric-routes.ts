import { badRequest } from '../errors/domain-errors.ts';
import { PROJECT } from '../http/paths.ts';
import { projectParam } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape, type Shape } from '../http/shape.ts';
import { expectedVersion } from '../http/versions.ts';
import type { Request } from 'express';
import { metricView, type MetricService } from './metric-service.ts';

/** The JSON types of a definition's fields (400); what they mean is the validator's (422). */
const METRIC: Shape = {
  key: { type: 'string' },
  name: { type: 'string' },
  description: { type: 'string' },
  kind: { type: 'string' },
  better: { type: 'string' },
  numerator: { type: 'string' },
  denominator: { type: 'string' },
  query: { type: 'string' },
  unit: { type: 'string' },
  flags: { type: 'string[]' },
};
/** What GET adds (read-only): accepted and dropped on PUT, so GET -> edit -> PUT round-trips. */
const READ_ONLY: Shape = {
  source: { type: 'string' },
  readOnly: { type: 'boolean' },
  createdAt: { type: 'string' },
  updatedAt: { type: 'string' },
};

/** Project metric keys are slugs; policy metrics' keys (`policy:<name>:<metric>`) are readable too. */
const metricParam = (req: Request): string => {
  const key = req.params.metricKey;
  if (typeof key !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,190}$/.test(key))
    throw badRequest(
      'path parameter metricKey is malformed',
      [{ path: 'metricKey', message: 'must be a metric key' }],
      'INVALID_PARAMETER',
    );
  return key;
};

export function metricRoutes(metrics: MetricService): Route[] {
  return [
    {
      method: 'get',
      path: `${PROJECT}/metrics`,
      summary: "List the project's metric definitions and the ramp policies' metrics (read-only)",
      access: { role: 'viewer', scope: 'project' },
      success: 'ok',
      handle: async ({ req }) => ({ items: await metrics.list(projectParam(req)) }),
    },
    {
      method: 'post',
      path: `${PROJECT}/metrics`,
      summary: 'Create a metric definition',
      access: { role: 'editor', scope: 'unrestricted' },
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx, reply }) => {
        const body = jsonBody(req);
        checkShape(body, { ...METRIC, key: { type: 'string', required: true } });
        return reply.versioned(metricView(await metrics.create(ctx, projectParam(req), body)));
      },
    },
    {
      method: 'get',
      path: `${PROJECT}/metrics/:metricKey`,
      summary: 'Get a metric definition',
      access: { role: 'viewer', scope: 'project' },
      success: 'ok',
      handle: async ({ req, reply }) => {
        const found = await metrics.get(projectParam(req), metricParam(req));
        if (found.version !== undefined) reply.etag(found.version);
        return found;
      },
    },
    {
      method: 'put',
      path: `${PROJECT}/metrics/:metricKey`,
      summary: 'Replace a metric definition (If-Match or version)',
      access: { role: 'editor', scope: 'unrestricted' },
      body: 'json',
      success: 'ok',
      handle: async ({ req, ctx, reply }) => {
        const [p, key] = [projectParam(req), metricParam(req)];
        const body = jsonBody(req);
        checkShape(body, { ...METRIC, ...READ_ONLY, version: { type: 'integer' } });
        if (body.key !== undefined && body.key !== key)
          throw badRequest('the body key differs from the path', [{ path: 'key', message: `must be ${key}` }]);
        const version = expectedVersion(req, body.version);
        const { version: _v, source: _s, readOnly: _r, createdAt: _c, updatedAt: _u, ...definition } = body;
        return reply.versioned(metricView(await metrics.update(ctx, p, key, version, definition)));
      },
    },
    {
      method: 'delete',
      path: `${PROJECT}/metrics/:metricKey`,
      summary: 'Delete a metric definition',
      access: { role: 'editor', scope: 'unrestricted' },
      success: 'no-content',
      handle: async ({ req, ctx }) => metrics.delete(ctx, projectParam(req), metricParam(req)),
    },
  ];
}
