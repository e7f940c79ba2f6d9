import { stringify as toYaml } from 'yaml';
import { badRequest } from '../errors/domain-errors.ts';
import { ENVIRONMENT } from '../http/paths.ts';
import { envParam, projectParam, queryParams } from '../http/params.ts';
import { documentBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import type { FlagsAsCodeService } from './flags-as-code-service.ts';

export function flagsAsCodeRoutes(service: FlagsAsCodeService): Route[] {
  return [
    {
      method: 'get',
      path: `${ENVIRONMENT}/export`,
      summary: 'Export the environment (flags-as-code)',
      access: { role: 'viewer', scope: 'environment' },
      query: ['format'],
      success: 'ok',
      handle: async ({ req, reply }) => {
        const [p, e] = [projectParam(req), envParam(req)];
        const { format = 'json' } = queryParams(req, ['format']);
        if (format !== 'json' && format !== 'yaml')
          throw badRequest(
            'malformed query',
            [{ path: 'query.format', message: 'must be json or yaml' }],
            'INVALID_PARAMETER',
          );
        const doc = await service.export(p, e);
        if (format === 'yaml') reply.yaml(toYaml(doc, { aliasDuplicateObjects: false }));
        return doc;
      },
    },
    {
      method: 'post',
      path: `${ENVIRONMENT}/import`,
      summary:
        'Import the environment, all or nothing (dryRun shows the diff and what it needs); creating, archiving or redefining flags needs a key without an environment list, changing an approval-required environment a change request',
      access: { role: 'editor', scope: 'environment' },
      body: 'document',
      query: ['dryRun'],
      success: 'ok',
      // Which flags and environments the document changes (project-wide parts, approval) is
      // decided per document by the service (auth/change-impact.ts), not by this declaration.
      handle: async ({ req, ctx }) => {
        const [p, e] = [projectParam(req), envParam(req)];
        const { dryRun = 'false' } = queryParams(req, ['dryRun']);
        if (dryRun !== 'true' && dryRun !== 'false')
          throw badRequest(
            'malformed query',
            [{ path: 'query.dryRun', message: 'must be true or false' }],
            'INVALID_PARAMETER',
          );
        const doc = documentBody(req);
        return service.import(ctx, p, e, doc, dryRun === 'true');
      },
    },
  ];
}
