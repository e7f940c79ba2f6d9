import { badRequest } from '../errors/domain-errors.ts';
import { ENVIRONMENT } from '../http/paths.ts';
import { ENTITY_KEY, envParam, idParam, projectParam, queryParams } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape, type Shape } from '../http/shape.ts';
import {
  CHANGE_REQUEST_KINDS,
  type FileableKind,
  type ChangeRequestStatus,
  SEGMENT_ACTIONS,
} from './change-request-store.ts';
import { type ChangeRequestService, type NewChangeRequest, publicView } from './change-request-service.ts';

const BASE = `${ENVIRONMENT}/change-requests`;
const STATUSES: readonly ChangeRequestStatus[] = ['pending', 'applied', 'rejected', 'cancelled'];

/** The fields each kind takes besides `kind`, `baseVersion` and `comment` (docs/api.md). */
const KIND_SHAPES: Record<FileableKind, Shape> = {
  config: { flag: { type: 'string', required: true }, config: { type: 'object', required: true } },
  definition: { flag: { type: 'string', required: true }, definition: { type: 'object', required: true } },
  archive: { flag: { type: 'string', required: true } },
  unarchive: { flag: { type: 'string', required: true } },
  'rollout-start': {
    flag: { type: 'string', required: true },
    policy: { type: 'string', required: true, max: 191 },
    treatment: { type: 'string', required: true, max: 191 },
    control: { type: 'string', required: true, max: 191 },
    reason: { type: 'string', max: 2000 },
  },
  'rollout-retry': { rolloutId: { type: 'integer', required: true }, reason: { type: 'string', max: 2000 } },
  // `segment` (the segment's fields, as for PUT .../segments/{key}) is required unless deleting.
  segment: {
    action: { type: 'string', required: true, oneOf: SEGMENT_ACTIONS },
    segmentKey: { type: 'string', required: true },
    segment: { type: 'object' },
  },
};

const DECISIONS = {
  approve: {
    role: 'approver',
    summary: 'Approve and apply (another owner than the author; the key must be allowed to make the change)',
  },
  reject: { role: 'approver', summary: 'Reject' },
  cancel: { role: 'editor', summary: 'Cancel (the author, by owner, or an admin)' },
} as const;

export function changeRequestRoutes(crs: ChangeRequestService): Route[] {
  const decisions = (Object.keys(DECISIONS) as Array<keyof typeof DECISIONS>).map((decision): Route => ({
    method: 'post',
    path: `${BASE}/:changeRequestId/${decision}`,
    summary: DECISIONS[decision].summary,
    access: { role: DECISIONS[decision].role, scope: 'environment' },
    body: 'optional-json',
    success: 'ok',
    // Self-approval, the author's cancel and whether the approver's key may make the change are
    // decided by the service on the request itself (auth/change-impact.ts).
    handle: async ({ req, ctx }) => {
      const [p, e] = [projectParam(req), envParam(req)];
      const id = idParam(req, 'changeRequestId');
      const body = jsonBody(req, false) ?? {};
      checkShape(body, { comment: { type: 'string', max: 10_000 } });
      const comment = (body.comment as string | undefined) ?? '';
      return publicView(await crs[decision](ctx, p, e, id, comment));
    },
  }));
  return [
    {
      method: 'post',
      path: BASE,
      summary:
        'File a change request (kind: config, definition, archive, unarchive, rollout-start, rollout-retry, segment)',
      access: { role: 'editor', scope: 'environment' },
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx }) => {
        const [p, e] = [projectParam(req), envParam(req)];
        const body = jsonBody(req);
        // The kind picks the shape; an unknown kind is reported by the shape check (oneOf).
        const given = (body as Record<string, unknown> | null)?.kind;
        const kind = (CHANGE_REQUEST_KINDS as readonly unknown[]).includes(given) ? (given as FileableKind) : 'config';
        checkShape(body, {
          kind: { type: 'string', oneOf: CHANGE_REQUEST_KINDS },
          ...KIND_SHAPES[kind],
          baseVersion: { type: 'integer', required: true },
          comment: { type: 'string', max: 10_000 },
        });
        if (body.flag !== undefined && !ENTITY_KEY.test(body.flag as string))
          throw badRequest('malformed flag key', [{ path: 'flag', message: `must match ${ENTITY_KEY}` }]);
        if (kind === 'segment') {
          if (!ENTITY_KEY.test(body.segmentKey as string))
            throw badRequest('malformed segment key', [{ path: 'segmentKey', message: `must match ${ENTITY_KEY}` }]);
          if (body.action === 'delete' && body.segment !== undefined)
            throw badRequest('a delete takes no segment', [
              { path: 'segment', message: 'must be absent when action is delete' },
            ]);
          if (body.action !== 'delete' && body.segment === undefined)
            throw badRequest('the proposed segment is missing', [
              { path: 'segment', message: `required when action is ${String(body.action)}` },
            ]);
          const inner = (body.segment as Record<string, unknown> | undefined)?.key;
          if (inner !== undefined && inner !== body.segmentKey)
            throw badRequest('the segment key differs from segmentKey', [
              { path: 'segment.key', message: `must be ${String(body.segmentKey)}` },
            ]);
        }
        return publicView(await crs.create(ctx, p, e, { ...(body as Omit<NewChangeRequest, 'kind'>), kind }));
      },
    },
    {
      method: 'get',
      path: BASE,
      summary: 'List change requests',
      access: { role: 'viewer', scope: 'environment' },
      query: ['status'],
      success: 'ok',
      handle: async ({ req }) => {
        const [p, e] = [projectParam(req), envParam(req)];
        const { status } = queryParams(req, ['status']);
        if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
          throw badRequest(
            'malformed query',
            [{ path: 'query.status', message: `must be one of ${STATUSES.join(', ')}` }],
            'INVALID_PARAMETER',
          );
        return { items: (await crs.list(p, e, status as ChangeRequestStatus | undefined)).map(publicView) };
      },
    },
    {
      method: 'get',
      path: `${BASE}/:changeRequestId`,
      summary: 'Get a change request',
      access: { role: 'viewer', scope: 'environment' },
      success: 'ok',
      handle: async ({ req }) =>
        publicView(await crs.get(projectParam(req), envParam(req), idParam(req, 'changeRequestId'))),
    },
    ...decisions,
  ];
}
