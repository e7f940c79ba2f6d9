import { invalidModel } from '../errors/domain-errors.ts';
import { ENVIRONMENT, PROJECT } from '../http/paths.ts';
import { envParam, projectParam, SLUG } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape } from '../http/shape.ts';
import { expectedVersion } from '../http/versions.ts';
import { MAX_ALLOWED_ORIGINS } from './allowed-origins.ts';
import type { EnvironmentService } from './environment-service.ts';

export function environmentRoutes(envs: EnvironmentService): Route[] {
  return [
    {
      method: 'get',
      path: `${PROJECT}/environments`,
      summary: 'List environments',
      access: { role: 'viewer', scope: 'project' },
      success: 'ok',
      handle: async ({ req }) => ({ items: await envs.list(projectParam(req)) }),
    },
    {
      method: 'post',
      path: `${PROJECT}/environments`,
      summary: 'Create an environment',
      access: { role: 'admin', scope: 'unrestricted' },
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx, reply }) => {
        const p = projectParam(req);
        const body = jsonBody(req);
        checkShape(body, {
          key: { type: 'string', required: true, max: 200 },
          name: { type: 'string', max: 255 },
          requireApproval: { type: 'boolean' },
          allowedOrigins: { type: 'string[]', max: MAX_ALLOWED_ORIGINS },
        });
        if (!SLUG.test(body.key as string)) throw invalidModel([{ path: 'key', message: `must match ${SLUG}` }]);
        const env = await envs.create(
          ctx,
          p,
          body as { key: string; name?: string; requireApproval?: boolean; allowedOrigins?: string[] },
        );
        return reply.versioned(env);
      },
    },
    {
      method: 'get',
      path: ENVIRONMENT,
      summary: 'Get an environment',
      access: { role: 'viewer', scope: 'environment' },
      success: 'ok',
      handle: async ({ req, reply }) => {
        const env = await envs.get(projectParam(req), envParam(req));
        return reply.versioned(env);
      },
    },
    {
      method: 'put',
      path: ENVIRONMENT,
      summary: 'Update an environment (name, requireApproval, allowedOrigins)',
      access: { role: 'admin', scope: 'unrestricted' },
      body: 'json',
      success: 'ok',
      handle: async ({ req, ctx, reply }) => {
        const [p, e] = [projectParam(req), envParam(req)];
        const body = jsonBody(req);
        checkShape(body, {
          name: { type: 'string', max: 255 },
          requireApproval: { type: 'boolean' },
          allowedOrigins: { type: 'string[]', max: MAX_ALLOWED_ORIGINS },
          version: { type: 'integer' },
        });
        const version = expectedVersion(req, body.version);
        const env = await envs.update(ctx, p, e, version, body);
        return reply.versioned(env);
      },
    },
    {
      method: 'delete',
      path: ENVIRONMENT,
      summary: 'Delete an environment with its configs and segments',
      access: { role: 'admin', scope: 'unrestricted' },
      success: 'no-content',
      handle: async ({ req, ctx }) => envs.delete(ctx, projectParam(req), envParam(req)),
    },
  ];
}
