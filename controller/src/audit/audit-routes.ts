import { canAccessEnvironment } from '../auth/access.ts';
import { badRequest, forbidden } from '../errors/domain-errors.ts';
import { API } from '../http/paths.ts';
import { intParam, queryParams } from '../http/params.ts';
import type { Route } from '../http/route.ts';
import type { AuditService } from './audit-service.ts';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const QUERY = ['project', 'flag', 'environment', 'actor', 'action', 'from', 'to', 'cursor', 'limit'] as const;

export function auditRoutes(audit: AuditService): Route[] {
  return [
    {
      method: 'get',
      path: `${API}/audit`,
      summary: 'Query the audit log, newest first',
      access: { role: 'viewer', scope: 'audit' },
      query: QUERY,
      success: 'ok',
      handle: async ({ req, ctx }) => {
        const q = queryParams(req, QUERY);
        // The `audit` scope, which depends on the query: a key limited to environments reads the
        // history of one of them at a time.
        if (
          ctx.actor.environments !== null &&
          (q.environment === undefined || !canAccessEnvironment(ctx.actor, q.environment))
        ) {
          throw forbidden(
            'a key limited to environments must filter by one of them (environment=project.env)',
            'ENVIRONMENT_FORBIDDEN',
          );
        }
        const time = (name: 'from' | 'to') => {
          const v = q[name];
          if (v === undefined) return undefined;
          const d = ISO.test(v) ? new Date(v) : new Date(NaN);
          if (Number.isNaN(d.getTime()))
            throw badRequest(
              'malformed query',
              [{ path: `query.${name}`, message: 'must be an ISO-8601 date or time' }],
              'INVALID_PARAMETER',
            );
          return d.toISOString();
        };
        const cursor = q.cursor === undefined ? undefined : intParam(q.cursor, 'cursor', 1, 999_999_999, 1);
        const from = time('from');
        const to = time('to');
        return audit.query({
          limit: intParam(q.limit, 'limit', 1, 500, 50),
          ...(q.project ? { project: q.project } : {}),
          ...(q.flag ? { flag: q.flag } : {}),
          ...(q.environment ? { environment: q.environment } : {}),
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.action ? { action: q.action } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ...(cursor !== undefined ? { before: cursor } : {}),
        });
      },
    },
  ];
}
