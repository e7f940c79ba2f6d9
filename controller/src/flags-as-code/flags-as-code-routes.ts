import { Router } from 'express';
import { stringify as toYaml } from 'yaml';
import { requireEnvironment, requireRole } from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { badRequest } from '../http/api-error.ts';
import { ENVIRONMENT } from '../http/paths.ts';
import { envParam, projectParam, queryParams } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { documentBody } from '../http/request-body.ts';
import type { FlagsAsCodeService } from './flags-as-code-service.ts';

export function flagsAsCodeRoutes(service: FlagsAsCodeService): Router {
  const r = Router();

  r.get(`${ENVIRONMENT}/export`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    const [p, e] = [projectParam(req), envParam(req)];
    requireEnvironment(ctx.actor, environmentId(p, e));
    const { format = 'json' } = queryParams(req, ['format']);
    if (format !== 'json' && format !== 'yaml') throw badRequest('malformed query', [{ path: 'query.format', message: 'must be json or yaml' }], 'INVALID_PARAMETER');
    const doc = await service.export(p, e);
    if (format === 'yaml') res.type('application/yaml').send(toYaml(doc, { aliasDuplicateObjects: false }));
    else res.json(doc);
  });

  r.post(`${ENVIRONMENT}/import`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'editor');
    const [p, e] = [projectParam(req), envParam(req)];
    requireEnvironment(ctx.actor, environmentId(p, e));
    const { dryRun = 'false' } = queryParams(req, ['dryRun']);
    if (dryRun !== 'true' && dryRun !== 'false') throw badRequest('malformed query', [{ path: 'query.dryRun', message: 'must be true or false' }], 'INVALID_PARAMETER');
    const doc = documentBody(req);
    res.json(await service.import(ctx, p, e, doc, dryRun === 'true'));
  });

  return r;
}
