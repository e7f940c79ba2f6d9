import { badRequest } from '../errors/domain-errors.ts';
import { ENVIRONMENT } from '../http/paths.ts';
import { envParam, projectParam, segmentParam } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape, type Shape } from '../http/shape.ts';
import { expectedVersion } from '../http/versions.ts';
import type { SegmentService } from './segment-service.ts';

const SEGMENT: Shape = {
  key: { type: 'string' },
  description: { type: 'string' },
  included: { type: 'array' },
  excluded: { type: 'array' },
  rules: { type: 'array' },
};

const APPROVAL = 'approval-required environments: a segment change request';

export function segmentRoutes(segments: SegmentService): Route[] {
  return [
    {
      method: 'get',
      path: `${ENVIRONMENT}/segments`,
      summary: 'List segments',
      access: { role: 'viewer', scope: 'environment' },
      success: 'ok',
      handle: async ({ req }) => ({
        items: (await segments.list(projectParam(req), envParam(req))).map((x) => ({ ...x.segment, usedBy: x.usedBy })),
      }),
    },
    {
      method: 'post',
      path: `${ENVIRONMENT}/segments`,
      summary: `Create a segment (${APPROVAL})`,
      access: { role: 'editor', scope: 'environment' },
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx, reply }) => {
        const [p, e] = [projectParam(req), envParam(req)];
        const body = jsonBody(req);
        checkShape(body, { ...SEGMENT, key: { type: 'string', required: true } });
        const created = await segments.create(ctx, p, e, body);
        reply.etag(created.segment.version);
        return created.segment;
      },
    },
    {
      method: 'get',
      path: `${ENVIRONMENT}/segments/:segmentKey`,
      summary: 'Get a segment',
      access: { role: 'viewer', scope: 'environment' },
      success: 'ok',
      handle: async ({ req, reply }) => {
        const found = await segments.get(projectParam(req), envParam(req), segmentParam(req));
        reply.etag(found.segment.version);
        return { ...found.segment, usedBy: found.usedBy };
      },
    },
    {
      method: 'put',
      path: `${ENVIRONMENT}/segments/:segmentKey`,
      summary: `Replace a segment (If-Match or version; ${APPROVAL})`,
      access: { role: 'editor', scope: 'environment' },
      body: 'json',
      success: 'ok',
      handle: async ({ req, ctx, reply }) => {
        const [p, e, key] = [projectParam(req), envParam(req), segmentParam(req)];
        const body = jsonBody(req);
        // `usedBy` is what GET adds (read-only): accepted and dropped, so GET -> edit -> PUT round-trips.
        checkShape(body, { ...SEGMENT, version: { type: 'integer' }, usedBy: { type: 'array' } });
        if (body.key !== undefined && body.key !== key)
          throw badRequest('the body key differs from the path', [{ path: 'key', message: `must be ${key}` }]);
        const version = expectedVersion(req, body.version);
        const { version: _v, usedBy: _u, ...segment } = body;
        const saved = await segments.update(ctx, p, e, key, version, segment);
        reply.etag(saved.segment.version);
        return saved.segment;
      },
    },
    {
      method: 'delete',
      path: `${ENVIRONMENT}/segments/:segmentKey`,
      summary: `Delete an unused segment (${APPROVAL})`,
      access: { role: 'editor', scope: 'environment' },
      success: 'no-content',
      handle: async ({ req, ctx }) => segments.delete(ctx, projectParam(req), envParam(req), segmentParam(req)),
    },
  ];
}
