import { badRequest, notFound } from '../errors/domain-errors.ts';
import { API, ENVIRONMENT } from '../http/paths.ts';
import { envParam, flagParam, idParam, intParam, projectParam, queryParams, SLUG } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape } from '../http/shape.ts';
import { policyView } from './policy/policy.ts';
import type { RolloutRecord, RolloutStatus } from './rollout-record.ts';
import { optionalVersion, type PolicyCatalog, type RolloutService } from './rollout-service.ts';

const STATUSES: readonly RolloutStatus[] = [
  'running',
  'awaiting-approval',
  'paused',
  'rolled-back',
  'aborted',
  'completed',
];

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** `from` / `to` of the list: an ISO-8601 date or time, normalized to the stored format. */
function timeParam(v: string | undefined, name: 'from' | 'to'): string | undefined {
  if (v === undefined) return undefined;
  const d = ISO.test(v) ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime()))
    throw badRequest(
      'malformed query',
      [{ path: `query.${name}`, message: 'must be an ISO-8601 date or time' }],
      'INVALID_PARAMETER',
    );
  return d.toISOString();
}

/** A rollout as the API shows it: percent for people, units for exactness. */
export const rolloutView = (r: RolloutRecord) => ({
  id: r.id,
  project: r.projectKey,
  environment: r.environmentId,
  flag: r.flagKey,
  policy: r.policyName,
  treatment: r.treatment,
  control: r.control,
  status: r.status,
  step: r.stepIndex + 1,
  steps: r.policy.steps.length,
  weightPercent: r.weightUnits / 1000,
  stepStartedAt: r.stepStartedAt,
  nextTickAt: r.nextTickAt,
  approvedStep: r.approvedStep === null ? null : r.approvedStep + 1,
  lastReason: r.lastReason,
  version: r.version,
  createdBy: r.createdBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const ACTIONS = {
  pause: { role: 'editor', summary: 'Pause a rollout' },
  resume: { role: 'editor', summary: 'Resume a paused rollout' },
  approve: {
    role: 'approver',
    summary: 'Approve advancing past the current gate (not by the owner who asked for the run)',
  },
  abort: { role: 'editor', summary: 'Abort a rollout (rolls back to control)' },
  retry: {
    role: 'editor',
    summary:
      'Start a rolled-back or aborted rollout again (approval-required environments: a rollout-retry change request)',
  },
} as const;

export function rolloutRoutes(rollouts: RolloutService, policies: PolicyCatalog): Route[] {
  // Rollouts by id: the path names no environment, so the service checks the rollout's own
  // (scope `any` here) and, for a retry, its change impact (auth/change-impact.ts).
  const actions = (Object.keys(ACTIONS) as Array<keyof typeof ACTIONS>).map((action): Route => ({
    method: 'post',
    path: `${API}/rollouts/:rolloutId/${action}`,
    summary: ACTIONS[action].summary,
    access: { role: ACTIONS[action].role, scope: 'any' },
    body: 'optional-json',
    success: 'ok',
    handle: async ({ req, ctx }) => {
      const id = Number(idParam(req, 'rolloutId'));
      const body = jsonBody(req, false) ?? {};
      checkShape(body, { version: { type: 'integer' }, reason: { type: 'string', max: 2000 } });
      const version = optionalVersion(body.version);
      const reason = typeof body.reason === 'string' ? body.reason : null;
      return rolloutView(await rollouts[action](ctx, id, version, reason));
    },
  }));
  return [
    {
      method: 'get',
      path: `${API}/policies`,
      summary: 'List ramp policies',
      access: { role: 'viewer', scope: 'any' },
      success: 'ok',
      handle: () => ({ items: policies.list().map(policyView) }),
    },
    {
      method: 'get',
      path: `${API}/policies/:policyName`,
      summary: 'Get a ramp policy',
      access: { role: 'viewer', scope: 'any' },
      success: 'ok',
      handle: ({ req }) => {
        const name = String(req.params.policyName);
        const policy = policies.get(name);
        if (!policy) throw notFound(`policy ${name}`);
        return policyView(policy);
      },
    },
    {
      method: 'post',
      path: `${ENVIRONMENT}/flags/:flagKey/rollouts`,
      summary:
        'Start a rollout of a flag with a policy (approval-required environments: a rollout-start change request)',
      access: { role: 'editor', scope: 'environment' },
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx }) => {
        const [p, e] = [projectParam(req), envParam(req)];
        const body = jsonBody(req);
        checkShape(body, {
          policy: { type: 'string', required: true, max: 191 },
          treatment: { type: 'string', required: true, max: 191 },
          control: { type: 'string', required: true, max: 191 },
          reason: { type: 'string', max: 2000 },
        });
        return rolloutView(
          await rollouts.start(
            ctx,
            p,
            e,
            flagParam(req),
            body as { policy: string; treatment: string; control: string; reason?: string },
          ),
        );
      },
    },
    {
      method: 'get',
      path: `${API}/rollouts`,
      summary: 'List rollouts (filters, keyset pagination)',
      access: { role: 'viewer', scope: 'any' },
      query: ['project', 'environment', 'flag', 'status', 'from', 'to', 'cursor', 'limit'],
      success: 'ok',
      handle: async ({ req, ctx }) => {
        const q = queryParams(req, ['project', 'environment', 'flag', 'status', 'from', 'to', 'cursor', 'limit']);
        // `status=rolled-back,paused`: the rollback review asks for several at once.
        const statuses = q.status === undefined ? undefined : q.status.split(',');
        if (statuses && (statuses.length === 0 || statuses.some((x) => !STATUSES.includes(x as RolloutStatus)))) {
          throw badRequest(
            'malformed query',
            [{ path: 'query.status', message: `must be one or more (comma-separated) of ${STATUSES.join(', ')}` }],
            'INVALID_PARAMETER',
          );
        }
        if (q.project !== undefined && !SLUG.test(q.project))
          throw badRequest(
            'malformed query',
            [{ path: 'query.project', message: 'invalid project key' }],
            'INVALID_PARAMETER',
          );
        const from = timeParam(q.from, 'from');
        const to = timeParam(q.to, 'to');
        const limit = intParam(q.limit, 'limit', 1, 500, 100);
        const before = q.cursor === undefined ? undefined : intParam(q.cursor, 'cursor', 1, Number.MAX_SAFE_INTEGER, 1);
        const items = await rollouts.list(ctx, {
          limit,
          ...(q.project ? { projectKey: q.project } : {}),
          ...(q.environment ? { environmentId: q.environment } : {}),
          ...(q.flag ? { flagKey: q.flag } : {}),
          ...(statuses ? { statuses: statuses as RolloutStatus[] } : {}),
          ...(from ? { updatedFrom: from } : {}),
          ...(to ? { updatedTo: to } : {}),
          ...(before ? { before } : {}),
        });
        return {
          items: items.map(rolloutView),
          nextCursor: items.length === limit ? String(items[items.length - 1]!.id) : null,
        };
      },
    },
    {
      method: 'get',
      path: `${API}/rollouts/:rolloutId`,
      summary: "Get a rollout with its timeline and every tick's evidence",
      access: { role: 'viewer', scope: 'any' },
      success: 'ok',
      handle: async ({ req, ctx }) => {
        const { rollout, events, ticks } = await rollouts.get(ctx, Number(idParam(req, 'rolloutId')));
        return {
          ...rolloutView(rollout),
          policyDocument: policyView(rollout.policy),
          counters: rollout.counters,
          timeline: events,
          ticks,
        };
      },
    },
    ...actions,
  ];
}
