import { Router } from 'express';
import { requireEnvironment, requireRole } from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { badRequest, notFound } from '../http/api-error.ts';
import { API, ENVIRONMENT } from '../http/paths.ts';
import { envParam, flagParam, idParam, intParam, projectParam, queryParams, SLUG } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape } from '../http/shape.ts';
import { policyView } from './policy/policy.ts';
import type { RolloutRecord, RolloutStatus } from './rollout-record.ts';
import { optionalVersion, type PolicyCatalog, type RolloutService } from './rollout-service.ts';

const STATUSES: readonly RolloutStatus[] = ['running', 'awaiting-approval', 'paused', 'rolled-back', 'aborted', 'completed'];

/** A rollout as the API shows it: percent for people, units for exactness. */
export const rolloutView = (r: RolloutRecord) => ({
  id: r.id, project: r.projectKey, environment: r.environmentId, flag: r.flagKey, policy: r.policyName,
  treatment: r.treatment, control: r.control, status: r.status,
  step: r.stepIndex + 1, steps: r.policy.steps.length, weightPercent: r.weightUnits / 1000,
  stepStartedAt: r.stepStartedAt, nextTickAt: r.nextTickAt, approvedStep: r.approvedStep === null ? null : r.approvedStep + 1,
  lastReason: r.lastReason, version: r.version, createdBy: r.createdBy, createdAt: r.createdAt, updatedAt: r.updatedAt,
});

export function rolloutRoutes(rollouts: RolloutService, policies: PolicyCatalog): Router {
  const r = Router();

  r.get(`${API}/policies`, (req, res) => {
    requireRole(contextOf(req, res).actor, 'viewer');
    res.json({ items: policies.list().map(policyView) });
  });

  r.get(`${API}/policies/:policyName`, (req, res) => {
    requireRole(contextOf(req, res).actor, 'viewer');
    const policy = policies.get(String(req.params.policyName));
    if (!policy) throw notFound(`policy ${req.params.policyName}`);
    res.json(policyView(policy));
  });

  r.post(`${ENVIRONMENT}/flags/:flagKey/rollouts`, async (req, res) => {
    const ctx = contextOf(req, res);
    const p = projectParam(req);
    const e = envParam(req);
    // Who may, before what: a key without access learns nothing from validation messages.
    requireRole(ctx.actor, 'editor');
    requireEnvironment(ctx.actor, environmentId(p, e));
    const body = jsonBody(req);
    checkShape(body, {
      policy: { type: 'string', required: true, max: 191 }, treatment: { type: 'string', required: true, max: 191 },
      control: { type: 'string', required: true, max: 191 }, reason: { type: 'string', max: 2000 },
    });
    const rollout = await rollouts.start(ctx, p, e, flagParam(req), body as { policy: string; treatment: string; control: string; reason?: string });
    res.status(201).json(rolloutView(rollout));
  });

  r.get(`${API}/rollouts`, async (req, res) => {
    const ctx = contextOf(req, res);
    const q = queryParams(req, ['project', 'environment', 'flag', 'status', 'cursor', 'limit']);
    if (q.status !== undefined && !STATUSES.includes(q.status as RolloutStatus)) {
      throw badRequest('malformed query', [{ path: 'query.status', message: `must be one of ${STATUSES.join(', ')}` }], 'INVALID_PARAMETER');
    }
    if (q.project !== undefined && !SLUG.test(q.project)) throw badRequest('malformed query', [{ path: 'query.project', message: 'invalid project key' }], 'INVALID_PARAMETER');
    const limit = intParam(q.limit, 'limit', 1, 500, 100);
    const before = q.cursor === undefined ? undefined : intParam(q.cursor, 'cursor', 1, Number.MAX_SAFE_INTEGER, 1);
    const items = await rollouts.list(ctx, {
      limit, ...(q.project ? { projectKey: q.project } : {}), ...(q.environment ? { environmentId: q.environment } : {}),
      ...(q.flag ? { flagKey: q.flag } : {}), ...(q.status ? { status: q.status as RolloutStatus } : {}), ...(before ? { before } : {}),
    });
    res.json({ items: items.map(rolloutView), nextCursor: items.length === limit ? String(items[items.length - 1]!.id) : null });
  });

  r.get(`${API}/rollouts/:rolloutId`, async (req, res) => {
    const { rollout, events, ticks } = await rollouts.get(contextOf(req, res), Number(idParam(req, 'rolloutId')));
    res.json({ ...rolloutView(rollout), policyDocument: policyView(rollout.policy), counters: rollout.counters, timeline: events, ticks });
  });

  for (const action of ['pause', 'resume', 'approve', 'abort', 'retry'] as const) {
    r.post(`${API}/rollouts/:rolloutId/${action}`, async (req, res) => {
      const ctx = contextOf(req, res);
      requireRole(ctx.actor, action === 'approve' ? 'approver' : 'editor');
      const id = Number(idParam(req, 'rolloutId'));
      const body = jsonBody(req, false) ?? {};
      checkShape(body, { version: { type: 'integer' }, reason: { type: 'string', max: 2000 } });
      const version = optionalVersion(body.version);
      const reason = typeof body.reason === 'string' ? body.reason : null;
      const rollout = await rollouts[action](ctx, id, version, reason);
      res.json(rolloutView(rollout));
    });
  }
  return r;
}
