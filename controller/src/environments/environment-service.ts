import { auditRecord } from '../audit/audit-record.ts';
import type { KeyRevocations } from '../auth/verified-key-cache.ts';
import type { Stores } from '../db/stores.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { defaultConfig } from '../flags/default-config.ts';
import { conflict, invalidModel, notFound, staleVersion } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import { abortRolloutsOfEnvironment, type RolloutNotifier } from '../rollouts/rollout-events.ts';
import { allowedOriginProblems } from './allowed-origins.ts';
import { newStreamSecret } from './browser-access-migration.ts';
import { environmentId, type EnvironmentRecord } from './environment-store.ts';

/** The reason on everything an environment's deletion ends (rollouts, keys). */
export const ENVIRONMENT_DELETED = 'environment deleted';

/** The environment or a 404, for any service. */
export async function requireEnvironmentRecord(
  s: Stores,
  projectKey: string,
  envKey: string,
): Promise<EnvironmentRecord> {
  const env = await s.environments.get(environmentId(projectKey, envKey));
  if (!env) {
    if (!(await s.projects.get(projectKey))) throw notFound(`project ${projectKey}`);
    throw notFound(`environment ${envKey} of project ${projectKey}`);
  }
  return env;
}

export class EnvironmentService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly now: () => string,
    /** Told after a delete revoked or narrowed keys (auth/verified-key-cache.ts). */
    private readonly revocations: KeyRevocations = { revoked: async () => {} },
    /** The webhook outbox the aborts of a deleted environment's rollouts notify through (webhooks/). */
    private readonly rolloutWebhooks: RolloutNotifier,
  ) {}

  async list(projectKey: string): Promise<EnvironmentRecord[]> {
    return this.uow.read(async (s) => {
      if (!(await s.projects.get(projectKey))) throw notFound(`project ${projectKey}`);
      return s.environments.listByProject(projectKey);
    });
  }

  async get(projectKey: string, envKey: string): Promise<EnvironmentRecord> {
    return this.uow.read((s) => requireEnvironmentRecord(s, projectKey, envKey));
  }

  /** Creates the environment and a default (off) config for every flag of the project. */
  async create(
    ctx: RequestContext,
    projectKey: string,
    input: { key: string; name?: string; requireApproval?: boolean; allowedOrigins?: string[] },
  ): Promise<EnvironmentRecord> {
    checkOrigins(input.allowedOrigins);
    return this.uow.write(async (s) => {
      if (!(await s.projects.get(projectKey))) throw notFound(`project ${projectKey}`);
      const now = this.now();
      const env: EnvironmentRecord = {
        id: environmentId(projectKey, input.key),
        projectKey,
        key: input.key,
        name: input.name ?? input.key,
        requireApproval: input.requireApproval ?? false,
        version: 1,
        createdAt: now,
        updatedAt: now,
        allowedOrigins: input.allowedOrigins ?? [],
      };
      try {
        await s.environments.insert(env);
      } catch (e) {
        if (e instanceof DuplicateKeyError)
          throw conflict('DUPLICATE_KEY', `environment ${input.key} already exists in project ${projectKey}`);
        throw e;
      }
      await s.environments.setStreamSecret(env.id, newStreamSecret());
      for (const flag of await s.flags.listAll(projectKey)) {
        await s.configs.insert({
          environmentId: env.id,
          projectKey,
          flagKey: flag.key,
          config: defaultConfig(flag.definition),
          version: 1,
          updatedAt: now,
        });
      }
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'create',
          entityType: 'environment',
          entityKey: env.id,
          projectKey,
          environmentId: env.id,
          after: env,
        }),
      );
      await s.outbox.append(env.id, 'environment', null, now);
      return env;
    });
  }

  async update(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    version: number,
    patch: { name?: string; requireApproval?: boolean; allowedOrigins?: string[] },
  ): Promise<EnvironmentRecord> {
    checkOrigins(patch.allowedOrigins);
    return this.uow.write(async (s) => {
      const before = await requireEnvironmentRecord(s, projectKey, envKey);
      if (before.version !== version) throw staleVersion(`environment ${before.id}`, before.version);
      const now = this.now();
      const next = {
        name: patch.name ?? before.name,
        requireApproval: patch.requireApproval ?? before.requireApproval,
        allowedOrigins: patch.allowedOrigins ?? before.allowedOrigins,
      };
      if (!(await s.environments.update(before.id, version, next, now)))
        throw staleVersion(`environment ${before.id}`, (await s.environments.get(before.id))?.version ?? 0);
      const after: EnvironmentRecord = { ...before, ...next, version: version + 1, updatedAt: now };
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'update',
          entityType: 'environment',
          entityKey: before.id,
          projectKey,
          environmentId: before.id,
          before,
          after,
        }),
      );
      // What the snapshot takes from the environment is its browser access (allowed origins).
      await s.outbox.append(before.id, 'access', null, now);
      return after;
    });
  }

  /**
   * Deletes the environment with its configs, segments and change requests, and in the same
   * transaction ends what would outlive it: its active rollouts are aborted ("environment
   * deleted"), the keys limited to it alone are revoked, and keys listing it among others lose it
   * from their list, so an environment created later under the same key is not theirs. Each of
   * those changes has its own audit row; each abort also its `rollout.rolled_back` webhook
   * outbox row, as any abort.
   */
  async delete(ctx: RequestContext, projectKey: string, envKey: string): Promise<void> {
    const { revoked, aborted } = await this.uow.write(async (s) => {
      const before = await requireEnvironmentRecord(s, projectKey, envKey);
      const now = this.now();
      const abortedRollouts = await abortRolloutsOfEnvironment(
        s,
        ctx,
        this.rolloutWebhooks,
        before.id,
        ENVIRONMENT_DELETED,
        Date.parse(now),
      );
      const revokedIds: string[] = [];
      for (const key of await s.apiKeys.list()) {
        if (key.revokedAt !== null || key.environments === null || !key.environments.includes(before.id)) continue;
        const rest = key.environments.filter((e) => e !== before.id);
        if (rest.length === 0) {
          await s.apiKeys.revoke(key.id, now);
          await s.audit.append(
            auditRecord(ctx, now, {
              action: 'key.revoke',
              entityType: 'api-key',
              entityKey: key.id,
              projectKey,
              environmentId: before.id,
              before: key,
              after: { ...key, revokedAt: now },
              reason: ENVIRONMENT_DELETED,
            }),
          );
          revokedIds.push(key.id);
        } else {
          await s.apiKeys.setEnvironments(key.id, rest);
          await s.audit.append(
            auditRecord(ctx, now, {
              action: 'key.update',
              entityType: 'api-key',
              entityKey: key.id,
              projectKey,
              environmentId: before.id,
              before: key,
              after: { ...key, environments: rest },
              reason: ENVIRONMENT_DELETED,
            }),
          );
          revokedIds.push(key.id); // its remembered scope is stale: verify it again
        }
      }
      await s.configs.deleteByEnvironment(before.id);
      await s.segments.deleteByEnvironment(before.id);
      await s.changeRequests.deleteByEnvironment(before.id);
      await s.environments.delete(before.id);
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'delete',
          entityType: 'environment',
          entityKey: before.id,
          projectKey,
          environmentId: before.id,
          before,
        }),
      );
      await s.outbox.append(before.id, 'environment', null, now);
      return { revoked: revokedIds, aborted: abortedRollouts.length };
    });
    if (aborted > 0) this.rolloutWebhooks.wake();
    await this.revocations.revoked(revoked);
  }
}

/** 422 naming each bad entry of `allowedOrigins` (allowed-origins.ts). */
function checkOrigins(origins: string[] | undefined): void {
  if (origins === undefined) return;
  const problems = allowedOriginProblems(origins);
  if (problems.length > 0) throw invalidModel(problems, 'allowedOrigins lists an origin browsers never send');
}
