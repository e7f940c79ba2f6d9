import { badRequest } from '../errors/domain-errors.ts';
import { API, ENVIRONMENT } from '../http/paths.ts';
import { envParam, flagParam, idParam, intParam, projectParam, queryParams, SLUG } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape } from '../http/shape.ts';
import { scheduleView } from './schedule-events.ts';
import { SCHEDULE_STATUSES, type ScheduleStatus } from './schedule-record.ts';
import type { ScheduleService } from './schedule-service.ts';

const QUERY = ['project', 'environment', 'flag', 'status', 'cursor', 'limit'] as const;

const invalid = (path: string, message: string) =>
  badRequest('malformed query', [{ path: `query.${path}`, message }], 'INVALID_PARAMETER');

/** The list's cursor: the last (at, id) of a page, opaque to clients (base64url of `at|id`). */
export const scheduleCursor = (r: { at: string; id: number }) => Buffer.from(`${r.at}|${r.id}`).toString('base64url');

function parseCursor(v: string): { at: string; id: number } {
  const [at, id] = Buffer.from(v, 'base64url').toString('utf8').split('|');
  if (!at || !id || !/^[1-9][0-9]{0,14}$/.test(id) || Number.isNaN(Date.parse(at)))
    throw invalid('cursor', 'must be a nextCursor this list returned');
  return { at, id: Number(id) };
}

export function scheduleRoutes(schedules: ScheduleService): Route[] {
  return [
    {
      method: 'post',
      path: `${ENVIRONMENT}/flags/:flagKey/schedules`,
      summary:
        'Schedule a config, an enable/disable or a rollout start at a time (approval-required environments: a schedule change request)',
      access: { role: 'editor', scope: 'environment' },
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx }) =>
        scheduleView(await schedules.create(ctx, projectParam(req), envParam(req), flagParam(req), jsonBody(req))),
    },
    {
      method: 'get',
      path: `${API}/schedules`,
      summary: 'List schedules, soonest first (filters, keyset pagination)',
      // Environments are filtered by the service: a scoped key sees its environments' schedules.
      access: { role: 'viewer', scope: 'any' },
      query: QUERY,
      success: 'ok',
      handle: async ({ req, ctx }) => {
        const q = queryParams(req, QUERY);
        const statuses = q.status === undefined ? undefined : q.status.split(',');
        if (statuses && statuses.some((x) => !SCHEDULE_STATUSES.includes(x as ScheduleStatus)))
          throw invalid('status', `must be one or more (comma-separated) of ${SCHEDULE_STATUSES.join(', ')}`);
        if (q.project !== undefined && !SLUG.test(q.project)) throw invalid('project', 'invalid project key');
        const limit = intParam(q.limit, 'limit', 1, 500, 100);
        const { items, last } = await schedules.list(ctx, {
          limit,
          ...(q.project ? { projectKey: q.project } : {}),
          ...(q.environment ? { environmentId: q.environment } : {}),
          ...(q.flag ? { flagKey: q.flag } : {}),
          ...(statuses ? { statuses: statuses as ScheduleStatus[] } : {}),
          ...(q.cursor !== undefined ? { after: parseCursor(q.cursor) } : {}),
        });
        return { items: items.map(scheduleView), nextCursor: last ? scheduleCursor(last) : null };
      },
    },
    {
      method: 'get',
      path: `${API}/schedules/:scheduleId`,
      summary: 'Get a schedule',
      access: { role: 'viewer', scope: 'any' },
      success: 'ok',
      handle: async ({ req, ctx }) => scheduleView(await schedules.get(ctx, Number(idParam(req, 'scheduleId')))),
    },
    {
      method: 'post',
      path: `${API}/schedules/:scheduleId/cancel`,
      summary: 'Cancel a pending schedule (up to the moment it is applied)',
      // The path names no environment: the service checks the schedule's own.
      access: { role: 'editor', scope: 'any' },
      body: 'optional-json',
      success: 'ok',
      handle: async ({ req, ctx }) => {
        const body = jsonBody(req, false) ?? {};
        checkShape(body, { comment: { type: 'string', max: 2000 } });
        const comment = (body.comment as string | undefined) ?? '';
        return scheduleView(await schedules.cancel(ctx, Number(idParam(req, 'scheduleId')), comment));
      },
    },
  ];
}
