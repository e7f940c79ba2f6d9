import { invalidModel } from '../errors/domain-errors.ts';
import { API, PROJECT } from '../http/paths.ts';
import { projectParam, SLUG } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape } from '../http/shape.ts';
import { expectedVersion } from '../http/versions.ts';
import type { ProjectService } from './project-service.ts';

export function projectRoutes(projects: ProjectService): Route[] {
  return [
    {
      method: 'get',
      path: `${API}/projects`,
      summary: 'List projects',
      access: { role: 'viewer', scope: 'any' },
      success: 'ok',
      handle: async ({ ctx }) => ({ items: await projects.list(ctx) }),
    },
    {
      method: 'post',
      path: `${API}/projects`,
      summary: 'Create a project',
      access: { role: 'admin', scope: 'unrestricted' },
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx, reply }) => {
        const body = jsonBody(req);
        checkShape(body, {
          key: { type: 'string', required: true, max: 200 },
          name: { type: 'string', max: 255 },
          description: { type: 'string', max: 10_000 },
        });
        if (!SLUG.test(body.key as string)) throw invalidModel([{ path: 'key', message: `must match ${SLUG}` }]);
        const p = await projects.create(ctx, body as { key: string; name?: string; description?: string });
        return reply.versioned(p);
      },
    },
    {
      method: 'get',
      path: PROJECT,
      summary: 'Get a project',
      access: { role: 'viewer', scope: 'project' },
      success: 'ok',
      handle: async ({ req, reply }) => {
        const p = await projects.get(projectParam(req));
        return reply.versioned(p);
      },
    },
    {
      method: 'put',
      path: PROJECT,
      summary: 'Update a project (If-Match or version)',
      access: { role: 'admin', scope: 'unrestricted' },
      body: 'json',
      success: 'ok',
      handle: async ({ req, ctx, reply }) => {
        const key = projectParam(req);
        const body = jsonBody(req);
        checkShape(body, {
          name: { type: 'string', max: 255 },
          description: { type: 'string', max: 10_000 },
          version: { type: 'integer' },
        });
        const version = expectedVersion(req, body.version);
        const p = await projects.update(ctx, key, version, body);
        return reply.versioned(p);
      },
    },
    {
      method: 'delete',
      path: PROJECT,
      summary: 'Delete an empty project',
      access: { role: 'admin', scope: 'unrestricted' },
      success: 'no-content',
      handle: async ({ req, ctx }) => projects.delete(ctx, projectParam(req)),
    },
  ];
}
