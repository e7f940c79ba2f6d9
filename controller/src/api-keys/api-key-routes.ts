import { badRequest } from '../errors/domain-errors.ts';
import { API } from '../http/paths.ts';
import { idParam } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape } from '../http/shape.ts';
import type { ApiKeyService } from './api-key-service.ts';
import { ROLES, type Role } from './api-key-store.ts';

/** Key management: admin keys without an environment list only. */
const ADMIN = { role: 'admin', scope: 'unrestricted' } as const;

export function apiKeyRoutes(keys: ApiKeyService): Route[] {
  return [
    {
      method: 'get',
      path: `${API}/me`,
      // The console shows who is signed in and greys out what the role or scope cannot do.
      summary: 'The calling key: its id, name, owner, role and environments (null = all)',
      access: { role: 'viewer', scope: 'any' },
      success: 'ok',
      handle: async ({ ctx }) => {
        const { keyId, name, owner, role, environments } = ctx.actor;
        return { id: keyId, name, owner, role, environments };
      },
    },
    {
      method: 'get',
      path: `${API}/api-keys`,
      summary: 'List API keys (never tokens)',
      access: ADMIN,
      success: 'ok',
      handle: async () => ({ items: await keys.list() }),
    },
    {
      method: 'post',
      path: `${API}/api-keys`,
      summary: 'Create an API key for an owner (a person; the token is returned once)',
      access: ADMIN,
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx }) => {
        const body = jsonBody(req);
        checkShape(body, {
          name: { type: 'string', required: true, max: 255 },
          owner: { type: 'string', required: true, max: 255 },
          role: { type: 'string', required: true, oneOf: ROLES },
          environments: { type: 'string[]', nullable: true, max: 1000 },
        });
        // A blank owner is malformed, like a missing one: self-approval needs a person to compare.
        if ((body.owner as string).trim() === '')
          throw badRequest('malformed request', [
            { path: 'owner', message: 'must name the person the key belongs to (a name or an email), not be blank' },
          ]);
        return keys.create(ctx, {
          name: body.name as string,
          owner: (body.owner as string).trim(),
          role: body.role as Role,
          environments: (body.environments as string[] | null | undefined) ?? null,
        });
      },
    },
    {
      method: 'get',
      path: `${API}/api-keys/:keyId`,
      summary: 'Get an API key',
      access: ADMIN,
      success: 'ok',
      handle: async ({ req }) => keys.get(idParam(req, 'keyId')),
    },
    {
      method: 'post',
      path: `${API}/api-keys/:keyId/revoke`,
      summary: 'Revoke an API key',
      access: ADMIN,
      success: 'ok',
      handle: async ({ req, ctx }) => keys.revoke(ctx, idParam(req, 'keyId')),
    },
  ];
}
