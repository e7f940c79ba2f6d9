import { Router } from 'express';
import { requireEnvironment, requireRole } from '../auth/access.ts';
import type { LadderRole } from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { badRequest } from '../http/api-error.ts';
import { ENVIRONMENT } from '../http/paths.ts';
import { ENTITY_KEY, envParam, idParam, projectParam, queryParams } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape, type Shape } from '../http/shape.ts';
import { CHANGE_REQUEST_KINDS, type ChangeRequestKind, type ChangeRequestStatus, SEGMENT_ACTIONS } from './change-request-store.ts';
import { type ChangeRequestService, type NewChangeRequest, publicView } from './change-request-service.ts';

const BASE = `${ENVIRONMENT}/change-requests`;
const STATUSES: readonly ChangeRequestStatus[] = ['pending', 'applied', 'rejected', 'cancelled'];

/** The fields each kind takes besides `kind`, `baseVersion` and `comment` (docs/api.md). */
const KIND_SHAPES: Record<ChangeRequestKind, Shape> = {
  config: { flag: { type: 'string', required: true }, config: { type: 'object', required: true } },
  definition: { flag: { type: 'string', required: true }, definition: { type: 'object', required: true } },
  archive: { flag: { type: 'string', required: true } },
  unarchive: { flag: { type: 'string', required: true } },
  'rollout-start': {
    flag: { type: 'string', required: true }, policy: { type: 'string', required: true, max: 191 }, treatment: { type: 'string', required: true, max: 191 },
    control: { type: 'string', required: true, max: 191 }, reason: { type: 'string', max: 2000 },
  },
  'rollout-retry': { rolloutId: { type: 'integer', required: true }, reason: { type: 'string', max: 2000 } },
  // `segment` (the segment's fields, as for PUT .../segments/{key}) is required unless deleting.
  segment: { action: { type: 'string', required: true, oneOf: SEGMENT_ACTIONS }, segmentKey: { type: 'string', required: true }, segment: { type: 'object' } },
};

export function changeRequestRoutes(crs: ChangeRequestService): Router {
  const r = Router();
  const scope = (req: Parameters<typeof projectParam>[0], res: Parameters<typeof contextOf>[1], role: LadderRole) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, role);
    const [p, e] = [projectParam(req), envParam(req)];
    requireEnvironment(ctx.actor, environmentId(p, e));
    return { ctx, p, e };
  };

  r.post(BASE, async (req, res) => {
    const { ctx, p, e } = scope(req, res, 'editor');
    const body = jsonBody(req);
    // The kind picks the shape; an unknown kind is reported by the shape check (oneOf).
    const given = (body as Record<string, unknown> | null)?.kind;
    const kind = (CHANGE_REQUEST_KINDS as readonly unknown[]).includes(given) ? given as ChangeRequestKind : 'config';
    checkShape(body, { kind: { type: 'string', oneOf: CHANGE_REQUEST_KINDS }, ...KIND_SHAPES[kind], baseVersion: { type: 'integer', required: true }, comment: { type: 'string', max: 10_000 } });
    if (body.flag !== undefined && !ENTITY_KEY.test(body.flag as string)) throw badRequest('malformed flag key', [{ path: 'flag', message: `must match ${ENTITY_KEY}` }]);
    if (kind === 'segment') {
      if (!ENTITY_KEY.test(body.segmentKey as string)) throw badRequest('malformed segment key', [{ path: 'segmentKey', message: `must match ${ENTITY_KEY}` }]);
      if (body.action === 'delete' && body.segment !== undefined) throw badRequest('a delete takes no segment', [{ path: 'segment', message: 'must be absent when action is delete' }]);
      if (body.action !== 'delete' && body.segment === undefined) throw badRequest('the proposed segment is missing', [{ path: 'segment', message: `required when action is ${body.action}` }]);
      const inner = (body.segment as Record<string, unknown> | undefined)?.key;
      if (inner !== undefined && inner !== body.segmentKey) throw badRequest('the segment key differs from segmentKey', [{ path: 'segment.key', message: `must be ${body.segmentKey}` }]);
    }
    const cr = await crs.create(ctx, p, e, { ...(body as Omit<NewChangeRequest, 'kind'>), kind });
    res.status(201).json(publicView(cr));
  });

  r.get(BASE, async (req, res) => {
    const { p, e } = scope(req, res, 'viewer');
    const { status } = queryParams(req, ['status']);
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw badRequest('malformed query', [{ path: 'query.status', message: `must be one of ${STATUSES.join(', ')}` }], 'INVALID_PARAMETER');
    res.json({ items: (await crs.list(p, e, status as ChangeRequestStatus | undefined)).map(publicView) });
  });

  r.get(`${BASE}/:changeRequestId`, async (req, res) => {
    const { p, e } = scope(req, res, 'viewer');
    res.json(publicView(await crs.get(p, e, idParam(req, 'changeRequestId'))));
  });

  const decisions = { approve: 'approver', reject: 'approver', cancel: 'editor' } as const;
  for (const [decision, role] of Object.entries(decisions) as Array<[keyof typeof decisions, LadderRole]>) {
    r.post(`${BASE}/:changeRequestId/${decision}`, async (req, res) => {
      const { ctx, p, e } = scope(req, res, role);
      const id = idParam(req, 'changeRequestId');
      const body = jsonBody(req, false) ?? {};
      checkShape(body, { comment: { type: 'string', max: 10_000 } });
      const comment = (body.comment as string | undefined) ?? '';
      res.json(publicView(await crs[decision](ctx, p, e, id, comment)));
    });
  }

  return r;
}
