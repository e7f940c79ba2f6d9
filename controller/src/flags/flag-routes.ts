import { Router } from 'express';
import { requireEnvironment, requireProjectRead, requireRole, requireUnrestricted } from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { badRequest } from '../http/api-error.ts';
import { ENVIRONMENT, FLAG, PROJECT } from '../http/paths.ts';
import { envParam, flagParam, intParam, projectParam, queryParams, SLUG } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape, type Shape } from '../http/shape.ts';
import { expectedVersion, setEtag } from '../http/versions.ts';
import type { ConfigRecord, FlagRecord } from './flag-store.ts';
import type { FlagService } from './flag-service.ts';
import { ApiError } from '../http/api-error.ts';
import { EmergencyKillUnavailable, killWithRedisFallback, type EmergencyKillRequest, type EmergencyKillResult } from '../propagation/emergency-kill.ts';

/** Writes a kill straight to Redis when the database is unreachable (see propagation/). */
export interface EmergencyKiller {
  kill(req: EmergencyKillRequest): Promise<EmergencyKillResult>;
}

/** The top level of a flag definition (contents are the validator's job). */
const DEFINITION: Shape = {
  key: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' }, tags: { type: 'array' },
  variants: { type: 'object' }, salt: { type: 'string' },
};
/** The top level of a FlagConfig, plus the version the write is based on. */
export const CONFIG_SHAPE: Shape = {
  enabled: { type: 'boolean', required: true }, offVariant: { type: 'string', required: true },
  prerequisites: { type: 'array', required: true }, targets: { type: 'array', required: true },
  rules: { type: 'array', required: true }, defaultRule: { type: 'object', required: true },
  bucketBy: { type: 'string' }, failMode: { type: 'string' },
};

export const flagView = (f: FlagRecord) => ({ ...f.definition, archived: f.archived, version: f.version, createdAt: f.createdAt, updatedAt: f.updatedAt });
/** Exactly what PUT takes back: the config plus its version. */
export const configView = (c: ConfigRecord) => ({ ...c.config, version: c.version });

export function flagRoutes(flags: FlagService, emergency?: EmergencyKiller): Router {
  const r = Router();

  r.get(`${PROJECT}/flags`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    const p = projectParam(req);
    requireProjectRead(ctx.actor, p);
    const q = queryParams(req, ['archived', 'tag', 'type', 'q', 'cursor', 'limit']);
    if (q.archived !== undefined && !['true', 'false', 'all'].includes(q.archived)) {
      throw badRequest('malformed query', [{ path: 'query.archived', message: 'must be true, false or all' }], 'INVALID_PARAMETER');
    }
    const page = await flags.list(p, {
      archived: q.archived === 'all' ? 'all' : q.archived === 'true', limit: intParam(q.limit, 'limit', 1, 500, 100),
      ...(q.tag ? { tag: q.tag } : {}), ...(q.type ? { type: q.type } : {}), ...(q.q ? { q: q.q } : {}), ...(q.cursor ? { after: q.cursor } : {}),
    });
    res.json({ items: page.items.map(flagView), nextCursor: page.nextCursor });
  });

  r.post(`${PROJECT}/flags`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'editor');
    requireUnrestricted(ctx.actor);
    const p = projectParam(req);
    const body = jsonBody(req);
    checkShape(body, { ...DEFINITION, key: { type: 'string', required: true }, type: { type: 'string', required: true }, variants: { type: 'object', required: true } });
    const flag = await flags.create(ctx, p, body);
    setEtag(res, flag.version);
    res.status(201).json(flagView(flag));
  });

  r.get(FLAG, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    const p = projectParam(req);
    requireProjectRead(ctx.actor, p);
    const { flag, configs } = await flags.get(p, flagParam(req));
    setEtag(res, flag.version);
    const environments = Object.fromEntries(configs.map((c) => [c.environmentId.slice(p.length + 1), { enabled: c.config.enabled, version: c.version }]));
    res.json({ ...flagView(flag), environments });
  });

  r.put(FLAG, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'editor');
    requireUnrestricted(ctx.actor);
    const [p, f] = [projectParam(req), flagParam(req)];
    const body = jsonBody(req);
    checkShape(body, { ...DEFINITION, variants: { type: 'object', required: true }, version: { type: 'integer' } });
    if (body.key !== undefined && body.key !== f) throw badRequest('the body key differs from the path', [{ path: 'key', message: `must be ${f} (keys never change)` }]);
    const version = expectedVersion(req, body.version);
    const { version: _v, ...definition } = body;
    const flag = await flags.update(ctx, p, f, version, definition);
    setEtag(res, flag.version);
    res.json(flagView(flag));
  });

  for (const action of ['archive', 'unarchive'] as const) {
    r.post(`${FLAG}/${action}`, async (req, res) => {
      const ctx = contextOf(req, res);
      requireRole(ctx.actor, 'editor');
      requireUnrestricted(ctx.actor);
      const [p, f] = [projectParam(req), flagParam(req)];
      const body = jsonBody(req, false) ?? {};
      checkShape(body, { reason: { type: 'string', max: 10_000 } });
      const flag = await flags.setArchived(ctx, p, f, action === 'archive', (body.reason as string | undefined) ?? null);
      setEtag(res, flag.version);
      res.json(flagView(flag));
    });
  }

  r.post(`${FLAG}/kill`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'editor');
    const [p, f] = [projectParam(req), flagParam(req)];
    requireProjectRead(ctx.actor, p);
    const body = jsonBody(req);
    checkShape(body, { environments: { type: 'string[]', max: 1000 }, reason: { type: 'string', required: true, max: 10_000 } });
    const envs = body.environments as string[] | undefined;
    const bad = (envs ?? []).flatMap((e, i) => (SLUG.test(e) ? [] : [{ path: `environments[${i}]`, message: `must match ${SLUG}` }]));
    if (bad.length > 0) throw badRequest('malformed environment keys', bad);
    // A key limited to environments must name them, and only its own.
    if (envs === undefined) requireUnrestricted(ctx.actor);
    for (const e of envs ?? []) requireEnvironment(ctx.actor, environmentId(p, e));
    const reason = body.reason as string;
    const viaDatabase = () => flags.kill(ctx, p, f, envs, reason);
    if (!emergency) return void res.json({ results: await viaDatabase() });
    try {
      const outcome = await killWithRedisFallback(viaDatabase, () => emergency.kill({
        projectKey: p, flagKey: f, environments: envs, actor: ctx.actor, reason, requestId: ctx.requestId,
      }));
      if (outcome.via === 'database') return void res.json({ results: outcome.result });
      // Accepted, not done: the evaluators serve the kill now; the audit row follows the database.
      res.status(202).json({
        results: outcome.result.results, pendingId: outcome.result.id,
        message: 'the database cannot take the write now (unreachable, or locked by another writer past the busy bound): the kill reached the evaluators through Redis and is audited once the database takes writes again',
      });
    } catch (error) {
      if (error instanceof EmergencyKillUnavailable) throw new ApiError(503, 'KILL_UNAVAILABLE', error.message);
      throw error;
    }
  });

  r.get(`${ENVIRONMENT}/flags/:flagKey`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'viewer');
    const [p, e, f] = [projectParam(req), envParam(req), flagParam(req)];
    requireEnvironment(ctx.actor, environmentId(p, e));
    const { config } = await flags.getConfig(p, e, f);
    setEtag(res, config.version);
    res.json(configView(config));
  });

  r.put(`${ENVIRONMENT}/flags/:flagKey`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'editor');
    const [p, e, f] = [projectParam(req), envParam(req), flagParam(req)];
    requireEnvironment(ctx.actor, environmentId(p, e));
    const body = jsonBody(req);
    checkShape(body, { ...CONFIG_SHAPE, version: { type: 'integer' } });
    const version = expectedVersion(req, body.version);
    const { version: _v, ...config } = body;
    const written = await flags.putConfig(ctx, p, e, f, version, config);
    setEtag(res, written.version);
    res.json(configView(written));
  });

  return r;
}
