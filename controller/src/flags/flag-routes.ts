import { canAccessEnvironment, requireEnvironment, requireUnrestricted } from '../auth/access.ts';
import { environmentId } from '../environments/environment-store.ts';
import { badRequest, UnavailableError } from '../errors/domain-errors.ts';
import { ENVIRONMENT, FLAG, PROJECT } from '../http/paths.ts';
import { envParam, flagParam, intParam, projectParam, queryParams, SLUG } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape, type Shape } from '../http/shape.ts';
import { expectedVersion } from '../http/versions.ts';
import type { ConfigRecord, FlagListQuery, FlagRecord } from './flag-store.ts';
import type { FlagService } from './flag-service.ts';
import {
  EmergencyKillUnavailable,
  killWithRedisFallback,
  type EmergencyKillRequest,
  type EmergencyKillResult,
} from '../propagation/emergency-kill.ts';

/** Writes a kill straight to Redis when the database is unreachable (see propagation/). */
export interface EmergencyKiller {
  kill(req: EmergencyKillRequest): Promise<EmergencyKillResult>;
}

/** The top level of a flag definition (contents are the validator's job). */
const DEFINITION: Shape = {
  key: { type: 'string' },
  type: { type: 'string' },
  description: { type: 'string' },
  tags: { type: 'array' },
  variants: { type: 'object' },
  salt: { type: 'string' },
  trackExposures: { type: 'boolean' },
};
/** The top level of a FlagConfig, plus the version the write is based on. */
export const CONFIG_SHAPE: Shape = {
  enabled: { type: 'boolean', required: true },
  offVariant: { type: 'string', required: true },
  prerequisites: { type: 'array', required: true },
  targets: { type: 'array', required: true },
  rules: { type: 'array', required: true },
  defaultRule: { type: 'object', required: true },
  bucketBy: { type: 'string' },
  failMode: { type: 'string' },
};

export const flagView = (f: FlagRecord) => ({
  ...f.definition,
  archived: f.archived,
  version: f.version,
  createdAt: f.createdAt,
  updatedAt: f.updatedAt,
});
/** Exactly what PUT takes back: the config plus its version. */
export const configView = (c: ConfigRecord) => ({ ...c.config, version: c.version });

export function flagRoutes(flags: FlagService, emergency?: EmergencyKiller): Route[] {
  const archiving = (['archive', 'unarchive'] as const).map((action): Route => ({
    method: 'post',
    path: `${FLAG}/${action}`,
    summary: action === 'archive' ? 'Archive a flag' : 'Unarchive a flag',
    access: { role: 'editor', scope: 'unrestricted' },
    body: 'optional-json',
    success: 'ok',
    handle: async ({ req, ctx, reply }) => {
      const [p, f] = [projectParam(req), flagParam(req)];
      const body = jsonBody(req, false) ?? {};
      checkShape(body, { reason: { type: 'string', max: 10_000 } });
      const flag = await flags.setArchived(
        ctx,
        p,
        f,
        action === 'archive',
        (body.reason as string | undefined) ?? null,
      );
      reply.etag(flag.version);
      return flagView(flag);
    },
  }));
  return [
    {
      method: 'get',
      path: `${PROJECT}/flags`,
      summary: 'List flags (filters, keyset pagination)',
      access: { role: 'viewer', scope: 'project' },
      query: ['archived', 'tag', 'type', 'q', 'cursor', 'limit', 'include'],
      success: 'ok',
      handle: async ({ req, ctx }) => {
        const p = projectParam(req);
        const q = queryParams(req, ['archived', 'tag', 'type', 'q', 'cursor', 'limit', 'include']);
        if (q.archived !== undefined && !['true', 'false', 'all'].includes(q.archived)) {
          throw badRequest(
            'malformed query',
            [{ path: 'query.archived', message: 'must be true, false or all' }],
            'INVALID_PARAMETER',
          );
        }
        if (q.include !== undefined && q.include !== 'environments') {
          throw badRequest(
            'malformed query',
            [{ path: 'query.include', message: 'must be environments' }],
            'INVALID_PARAMETER',
          );
        }
        const query: FlagListQuery = {
          archived: q.archived === 'all' ? 'all' : q.archived === 'true',
          limit: intParam(q.limit, 'limit', 1, 500, 100),
          ...(q.tag ? { tag: q.tag } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.q ? { q: q.q } : {}),
          ...(q.cursor ? { after: q.cursor } : {}),
        };
        if (q.include === 'environments') {
          // Every item gets the configs of the environments the key holds, read in one query.
          const page = await flags.listWithConfigs(p, query, (id) => canAccessEnvironment(ctx.actor, id));
          const byFlag = new Map<string, Record<string, { enabled: boolean; version: number; config: unknown }>>();
          for (const c of page.configs) {
            const envs = byFlag.get(c.flagKey) ?? {};
            envs[c.environmentId.slice(p.length + 1)] = {
              enabled: c.config.enabled,
              version: c.version,
              config: c.config,
            };
            byFlag.set(c.flagKey, envs);
          }
          return {
            items: page.items.map((f) => ({ ...flagView(f), environments: byFlag.get(f.key) ?? {} })),
            nextCursor: page.nextCursor,
          };
        }
        const page = await flags.list(p, query);
        return { items: page.items.map(flagView), nextCursor: page.nextCursor };
      },
    },
    {
      method: 'post',
      path: `${PROJECT}/flags`,
      summary: 'Create a flag (off in every environment)',
      access: { role: 'editor', scope: 'unrestricted' },
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx, reply }) => {
        const p = projectParam(req);
        const body = jsonBody(req);
        checkShape(body, {
          ...DEFINITION,
          key: { type: 'string', required: true },
          type: { type: 'string', required: true },
          variants: { type: 'object', required: true },
        });
        const flag = await flags.create(ctx, p, body);
        reply.etag(flag.version);
        return flagView(flag);
      },
    },
    {
      method: 'get',
      path: FLAG,
      summary: 'Get a flag definition with per-environment state',
      access: { role: 'viewer', scope: 'project' },
      success: 'ok',
      handle: async ({ req, reply }) => {
        const p = projectParam(req);
        const { flag, configs } = await flags.get(p, flagParam(req));
        reply.etag(flag.version);
        const environments = Object.fromEntries(
          configs.map((c) => [c.environmentId.slice(p.length + 1), { enabled: c.config.enabled, version: c.version }]),
        );
        return { ...flagView(flag), environments };
      },
    },
    {
      method: 'put',
      path: FLAG,
      summary: 'Update a flag definition (If-Match or version)',
      access: { role: 'editor', scope: 'unrestricted' },
      body: 'json',
      success: 'ok',
      handle: async ({ req, ctx, reply }) => {
        const [p, f] = [projectParam(req), flagParam(req)];
        const body = jsonBody(req);
        checkShape(body, { ...DEFINITION, variants: { type: 'object', required: true }, version: { type: 'integer' } });
        if (body.key !== undefined && body.key !== f)
          throw badRequest('the body key differs from the path', [
            { path: 'key', message: `must be ${f} (keys never change)` },
          ]);
        const version = expectedVersion(req, body.version);
        const { version: _v, ...definition } = body;
        const flag = await flags.update(ctx, p, f, version, definition);
        reply.etag(flag.version);
        return flagView(flag);
      },
    },
    ...archiving,
    {
      method: 'post',
      path: `${FLAG}/kill`,
      summary: 'Kill switch: disable in some or all environments',
      access: { role: 'editor', scope: 'body-environments' },
      body: 'json',
      success: 'ok',
      handle: async ({ req, ctx, reply }) => {
        const [p, f] = [projectParam(req), flagParam(req)];
        const body = jsonBody(req);
        checkShape(body, {
          environments: { type: 'string[]', max: 1000 },
          reason: { type: 'string', required: true, max: 10_000 },
        });
        const envs = body.environments as string[] | undefined;
        const bad = (envs ?? []).flatMap((e, i) =>
          SLUG.test(e) ? [] : [{ path: `environments[${i}]`, message: `must match ${SLUG}` }],
        );
        if (bad.length > 0) throw badRequest('malformed environment keys', bad);
        // The declaration cannot say this part (it depends on the body): a key limited to
        // environments must name them, and only its own.
        if (envs === undefined) requireUnrestricted(ctx.actor);
        for (const e of envs ?? []) requireEnvironment(ctx.actor, environmentId(p, e));
        const reason = body.reason as string;
        const viaDatabase = () => flags.kill(ctx, p, f, envs, reason);
        if (!emergency) return { results: await viaDatabase() };
        try {
          const outcome = await killWithRedisFallback(viaDatabase, () =>
            emergency.kill({
              projectKey: p,
              flagKey: f,
              environments: envs,
              actor: ctx.actor,
              reason,
              requestId: ctx.requestId,
            }),
          );
          if (outcome.via === 'database') return { results: outcome.result };
          // Accepted, not done: the evaluators serve the kill now; the audit row follows the database.
          reply.outcome('accepted');
          return {
            results: outcome.result.results,
            pendingId: outcome.result.id,
            message:
              'the database cannot take the write now (unreachable, or locked by another writer past the busy bound): the kill reached the evaluators through Redis and is audited once the database takes writes again',
          };
        } catch (error) {
          if (error instanceof EmergencyKillUnavailable) throw new UnavailableError('KILL_UNAVAILABLE', error.message);
          throw error;
        }
      },
    },
    {
      method: 'get',
      path: `${ENVIRONMENT}/flags/:flagKey`,
      summary: "Get a flag's config in an environment",
      access: { role: 'viewer', scope: 'environment' },
      success: 'ok',
      handle: async ({ req, reply }) => {
        const { config } = await flags.getConfig(projectParam(req), envParam(req), flagParam(req));
        reply.etag(config.version);
        return configView(config);
      },
    },
    {
      method: 'put',
      path: `${ENVIRONMENT}/flags/:flagKey`,
      summary: "Replace a flag's config in an environment (If-Match or version)",
      access: { role: 'editor', scope: 'environment' },
      body: 'json',
      success: 'ok',
      handle: async ({ req, ctx, reply }) => {
        const [p, e, f] = [projectParam(req), envParam(req), flagParam(req)];
        const body = jsonBody(req);
        checkShape(body, { ...CONFIG_SHAPE, version: { type: 'integer' } });
        const version = expectedVersion(req, body.version);
        const { version: _v, ...config } = body;
        const written = await flags.putConfig(ctx, p, e, f, version, config);
        reply.etag(written.version);
        return configView(written);
      },
    },
  ];
}
