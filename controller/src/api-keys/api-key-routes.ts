import { Router } from 'express';
import { requireRole, requireUnrestricted } from '../auth/access.ts';
import { badRequest } from '../http/api-error.ts';
import { API } from '../http/paths.ts';
import { idParam } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape } from '../http/shape.ts';
import type { ApiKeyService } from './api-key-service.ts';
import { ROLES, type Role } from './api-key-store.ts';

/** Key management: admin keys without an environment list only. */
export function apiKeyRoutes(keys: ApiKeyService): Router {
  const r = Router();
  const admin = (req: Parameters<typeof contextOf>[0], res: Parameters<typeof contextOf>[1]) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    return ctx;
  };

  r.get(`${API}/api-keys`, async (req, res) => {
    admin(req, res);
    res.json({ items: await keys.list() });
  });

  r.post(`${API}/api-keys`, async (req, res) => {
    const ctx = admin(req, res);
    const body = jsonBody(req);
    checkShape(body, {
      name: { type: 'string', required: true, max: 255 }, owner: { type: 'string', required: true, max: 255 },
      role: { type: 'string', required: true, oneOf: ROLES }, environments: { type: 'string[]', nullable: true, max: 1000 },
    });
    // A blank owner is malformed, like a missing one: self-approval needs a person to compare.
    if ((body.owner as string).trim() === '') throw badRequest('malformed request', [{ path: 'owner', message: 'must name the person the key belongs to (a name or an email), not be blank' }]);
    const created = await keys.create(ctx, { name: body.name as string, owner: (body.owner as string).trim(), role: body.role as Role, environments: (body.environments as string[] | null | undefined) ?? null });
    res.status(201).json(created);
  });

  r.get(`${API}/api-keys/:keyId`, async (req, res) => {
    admin(req, res);
    res.json(await keys.get(idParam(req, 'keyId')));
  });

  r.post(`${API}/api-keys/:keyId/revoke`, async (req, res) => {
    const ctx = admin(req, res);
    res.json(await keys.revoke(ctx, idParam(req, 'keyId')));
  });

  return r;
}
