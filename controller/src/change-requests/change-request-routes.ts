import { Router } from 'express';
import { requireEnvironment, requireRole } from '../auth/access.ts';
import type { LadderRole } from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { badRequest } from '../http/api-error.ts';
import { ENVIRONMENT } from '../http/paths.ts';
import { ENTITY_KEY, envParam, idParam, projectParam, queryParams } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape } from '../http/shape.ts';
import type { ChangeRequestStatus } from './change-request-store.ts';
import type { ChangeRequestService } from './change-request-service.ts';

const BASE = `${ENVIRONMENT}/change-requests`;
const STATUSES: readonly ChangeRequestStatus[] = ['pending', 'applied', 'rejected', 'cancelled'];

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
    checkShape(body, { flag: { type: 'string', required: true }, config: { type: 'object', required: true }, baseVersion: { type: 'integer', required: true }, comment: { type: 'string', max: 10_000 } });
    if (!ENTITY_KEY.test(body.flag as string)) throw badRequest('malformed flag key', [{ path: 'flag', message: `must match ${ENTITY_KEY}` }]);
    const cr = await crs.create(ctx, p, e, body as { flag: string; config: unknown; baseVersion: number; comment?: string });
    res.status(201).json(cr);
  });

  r.get(BASE, async (req, res) => {
    const { p, e } = scope(req, res, 'viewer');
    const { status } = queryParams(req, ['status']);
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw badRequest('malformed query', [{ path: 'query.status', message: `must be one of ${STATUSES.join(', ')}` }], 'INVALID_PARAMETER');
    res.json({ items: await crs.list(p, e, status as ChangeRequestStatus | undefined) });
  });

  r.get(`${BASE}/:changeRequestId`, async (req, res) => {
    const { p, e } = scope(req, res, 'viewer');
    res.json(await crs.get(p, e, idParam(req, 'changeRequestId')));
  });

  const decisions = { approve: 'approver', reject: 'approver', cancel: 'editor' } as const;
  for (const [decision, role] of Object.entries(decisions) as Array<[keyof typeof decisions, LadderRole]>) {
    r.post(`${BASE}/:changeRequestId/${decision}`, async (req, res) => {
      const { ctx, p, e } = scope(req, res, role);
      const id = idParam(req, 'changeRequestId');
      const body = jsonBody(req, false) ?? {};
      checkShape(body, { comment: { type: 'string', max: 10_000 } });
      const comment = (body.comment as string | undefined) ?? '';
      res.json(await crs[decision](ctx, p, e, id, comment));
    });
  }

  return r;
}
