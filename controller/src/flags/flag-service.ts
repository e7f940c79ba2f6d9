import { generateSalt, type Problem, validateFlag } from '@flagship/evaluator';
import { auditRecord } from '../audit/audit-record.ts';
import type { Stores } from '../db/stores.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import { environmentId } from '../environments/environment-store.ts';
import { fieldPath } from '../http/problem-path.ts';
import { conflict, invalidModel, notFound, staleVersion } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import { assessChange, enforceImpact } from '../auth/change-impact.ts';
import { configProblems, validateAndWriteConfig, writeConfig } from './config-writes.ts';
import { defaultConfig } from './default-config.ts';
import type { ConfigRecord, FlagListQuery, FlagRecord } from './flag-store.ts';

/** The flag or a 404. */
export async function requireFlag(s: Stores, projectKey: string, flagKey: string): Promise<FlagRecord> {
  const flag = await s.flags.get(projectKey, flagKey);
  if (!flag) {
    if (!(await s.projects.get(projectKey))) throw notFound(`project ${projectKey}`);
    throw notFound(`flag ${flagKey} in project ${projectKey}`);
  }
  return flag;
}

const notArchived = (flag: FlagRecord) => {
  if (flag.archived) throw conflict('FLAG_ARCHIVED', `flag ${flag.key} is archived: unarchive it first`);
};

/**
 * Replaces a flag's definition inside the caller's transaction (the key and type never change):
 * every environment's config must still be valid against it, else 422 naming the environment.
 * A project-wide change: it affects every environment, so approval-required ones need an
 * approved change request (`approved` is set when one is being applied).
 */
export async function updateDefinition(
  s: Stores,
  ctx: RequestContext,
  projectKey: string,
  flagKey: string,
  version: number,
  input: Record<string, unknown>,
  now: string,
  o: { approved?: boolean } = {},
): Promise<FlagRecord> {
  const before = await requireFlag(s, projectKey, flagKey);
  notArchived(before);
  if (before.version !== version) throw staleVersion(`flag ${flagKey}`, before.version);
  const next = await checkedDefinition(s, before, input, now);
  enforceImpact(ctx.actor, await assessChange(s, projectKey, [{ kind: 'definition', flagKey }]), {
    approved: o.approved,
    kind: 'definition',
  });
  return saveDefinition(s, ctx, before, next, 'update', null);
}

/** The validated next record of a definition edit, its configs checked against it (422). */
export async function checkedDefinition(
  s: Stores,
  before: FlagRecord,
  input: Record<string, unknown>,
  now: string,
): Promise<FlagRecord> {
  const checked = validateFlag({
    type: before.definition.type,
    ...input,
    key: before.key,
    salt: input.salt ?? before.definition.salt,
  });
  if (!checked.ok) throw invalidModel(checked.problems, 'the flag fails validation');
  const definition = checked.value;
  if (definition.type !== before.definition.type)
    throw invalidModel([{ path: 'type', message: `a flag's type cannot change (it is ${before.definition.type})` }]);
  const next: FlagRecord = { ...before, definition, version: before.version + 1, updatedAt: now };
  const problems: Problem[] = [];
  for (const c of await s.configs.listByFlag(before.projectKey, before.key)) {
    const r = await configProblems(s, next, c.environmentId, c.config, fieldPath('environments', c.environmentId));
    problems.push(...r.problems);
  }
  if (problems.length > 0) throw invalidModel(problems, 'the new definition breaks configs that use it');
  return next;
}

/** Archives or unarchives inside the caller's transaction; project-wide like a definition edit. */
export async function changeArchived(
  s: Stores,
  ctx: RequestContext,
  projectKey: string,
  flagKey: string,
  archived: boolean,
  reason: string | null,
  now: string,
  o: { approved?: boolean; expectedVersion?: number } = {},
): Promise<FlagRecord> {
  const before = await requireFlag(s, projectKey, flagKey);
  if (o.expectedVersion !== undefined && before.version !== o.expectedVersion)
    throw staleVersion(`flag ${flagKey}`, before.version);
  if (before.archived === archived) return before;
  const kind = archived ? 'archive' : 'unarchive';
  enforceImpact(ctx.actor, await assessChange(s, projectKey, [{ kind, flagKey }]), { approved: o.approved, kind });
  const next: FlagRecord = { ...before, archived, version: before.version + 1, updatedAt: now };
  return saveDefinition(s, ctx, before, next, kind, reason);
}

async function saveDefinition(
  s: Stores,
  ctx: RequestContext,
  before: FlagRecord,
  next: FlagRecord,
  action: string,
  reason: string | null,
): Promise<FlagRecord> {
  if (
    !(await s.flags.update(
      before.projectKey,
      before.key,
      before.version,
      { definition: next.definition, archived: next.archived },
      next.updatedAt,
    ))
  ) {
    throw staleVersion(
      `flag ${before.key}`,
      (await s.flags.get(before.projectKey, before.key))?.version ?? before.version,
    );
  }
  await s.audit.append(
    auditRecord(ctx, next.updatedAt, {
      action,
      entityType: 'flag',
      entityKey: before.key,
      projectKey: before.projectKey,
      flagKey: before.key,
      reason,
      before: { ...before.definition, archived: before.archived, version: before.version },
      after: { ...next.definition, archived: next.archived, version: next.version },
    }),
  );
  for (const env of await s.environments.listByProject(before.projectKey))
    await s.outbox.append(env.id, 'flag', before.key, next.updatedAt);
  return next;
}

export interface KillResult {
  environment: string;
  killed: boolean;
  version: number;
}

export class FlagService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly now: () => string,
  ) {}

  async list(projectKey: string, query: FlagListQuery): Promise<{ items: FlagRecord[]; nextCursor: string | null }> {
    return this.uow.read(async (s) => {
      if (!(await s.projects.get(projectKey))) throw notFound(`project ${projectKey}`);
      const items = await s.flags.list(projectKey, { ...query, limit: query.limit + 1 });
      const more = items.length > query.limit;
      const page = items.slice(0, query.limit);
      return { items: page, nextCursor: more ? page[page.length - 1]!.key : null };
    });
  }

  /**
   * A page of flags with their configs in every environment, read in one transaction with one
   * batched config query; configs of environments `canSee` refuses are left out.
   */
  async listWithConfigs(
    projectKey: string,
    query: FlagListQuery,
    canSee: (environmentId: string) => boolean,
  ): Promise<{ items: FlagRecord[]; nextCursor: string | null; configs: ConfigRecord[] }> {
    return this.uow.read(async (s) => {
      if (!(await s.projects.get(projectKey))) throw notFound(`project ${projectKey}`);
      const items = await s.flags.list(projectKey, { ...query, limit: query.limit + 1 });
      const more = items.length > query.limit;
      const page = items.slice(0, query.limit);
      const configs = (
        await s.configs.configsOf(
          projectKey,
          page.map((f) => f.key),
        )
      ).filter((c) => canSee(c.environmentId));
      return { items: page, nextCursor: more ? page[page.length - 1]!.key : null, configs };
    });
  }

  async get(projectKey: string, flagKey: string): Promise<{ flag: FlagRecord; configs: ConfigRecord[] }> {
    return this.uow.read(async (s) => {
      const flag = await requireFlag(s, projectKey, flagKey);
      return { flag, configs: await s.configs.listByFlag(projectKey, flagKey) };
    });
  }

  /** Creates the flag and its default (off) config in every environment of the project. */
  async create(ctx: RequestContext, projectKey: string, input: Record<string, unknown>): Promise<FlagRecord> {
    const checked = validateFlag({ ...input, salt: input.salt ?? generateSalt() });
    if (!checked.ok) throw invalidModel(checked.problems, 'the flag fails validation');
    const definition = checked.value;
    return this.uow.write(async (s) => {
      if (!(await s.projects.get(projectKey))) throw notFound(`project ${projectKey}`);
      enforceImpact(ctx.actor, await assessChange(s, projectKey, [{ kind: 'create', flagKey: definition.key }]), {
        kind: 'create',
      });
      const now = this.now();
      const flag: FlagRecord = {
        projectKey,
        key: definition.key,
        definition,
        archived: false,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await s.flags.insert(flag);
      } catch (e) {
        if (e instanceof DuplicateKeyError)
          throw conflict('DUPLICATE_KEY', `flag ${definition.key} already exists in project ${projectKey}`);
        throw e;
      }
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'create',
          entityType: 'flag',
          entityKey: flag.key,
          projectKey,
          flagKey: flag.key,
          after: { ...definition, archived: false, version: 1 },
        }),
      );
      for (const env of await s.environments.listByProject(projectKey)) {
        await s.configs.insert({
          environmentId: env.id,
          projectKey,
          flagKey: flag.key,
          config: defaultConfig(definition),
          version: 1,
          updatedAt: now,
        });
        await s.outbox.append(env.id, 'flag', flag.key, now);
      }
      return flag;
    });
  }

  /**
   * Replaces the definition (the key and type never change). Every environment's config must
   * still be valid against the new variants, else 422 naming the environment.
   */
  async update(
    ctx: RequestContext,
    projectKey: string,
    flagKey: string,
    version: number,
    input: Record<string, unknown>,
  ): Promise<FlagRecord> {
    return this.uow.write((s) => updateDefinition(s, ctx, projectKey, flagKey, version, input, this.now()));
  }

  async setArchived(
    ctx: RequestContext,
    projectKey: string,
    flagKey: string,
    archived: boolean,
    reason: string | null,
  ): Promise<FlagRecord> {
    return this.uow.write((s) => changeArchived(s, ctx, projectKey, flagKey, archived, reason, this.now()));
  }

  async getConfig(
    projectKey: string,
    envKey: string,
    flagKey: string,
  ): Promise<{ flag: FlagRecord; config: ConfigRecord }> {
    return this.uow.read(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const flag = await requireFlag(s, projectKey, flagKey);
      const config = await s.configs.get(env.id, flagKey);
      if (!config) throw notFound(`config of flag ${flagKey} in ${env.id}`);
      return { flag, config };
    });
  }

  /** A direct edit; environments that require approval take change requests instead (409). */
  async putConfig(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    flagKey: string,
    version: number,
    input: unknown,
  ): Promise<ConfigRecord> {
    return this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const flag = await requireFlag(s, projectKey, flagKey);
      notArchived(flag);
      enforceImpact(
        ctx.actor,
        await assessChange(s, projectKey, [{ kind: 'config', environmentId: env.id, flagKey }]),
        { kind: 'config' },
      );
      return validateAndWriteConfig(s, ctx, {
        flag,
        environmentId: env.id,
        expectedVersion: version,
        input,
        action: 'update',
        now: this.now(),
      });
    });
  }

  /**
   * The kill switch: disables the flag in the named environments (default: all) in one
   * transaction. It needs no version and bypasses approval: it can only turn a flag off.
   */
  async kill(
    ctx: RequestContext,
    projectKey: string,
    flagKey: string,
    envKeys: string[] | undefined,
    reason: string,
  ): Promise<KillResult[]> {
    return this.uow.write(async (s) => {
      const flag = await requireFlag(s, projectKey, flagKey);
      notArchived(flag);
      const all = await s.environments.listByProject(projectKey);
      const wanted = envKeys ?? all.map((e) => e.key);
      const problems = wanted.flatMap((k, i) =>
        all.some((e) => e.key === k)
          ? []
          : [{ path: `environments[${i}]`, message: `no environment ${k} in project ${projectKey}` }],
      );
      if (problems.length > 0) throw invalidModel(problems, 'unknown environments');
      const now = this.now();
      const results: KillResult[] = [];
      for (const key of [...new Set(wanted)]) {
        const id = environmentId(projectKey, key);
        const current = await s.configs.getForUpdate(id, flagKey);
        if (!current) throw notFound(`config of flag ${flagKey} in ${id}`);
        if (!current.config.enabled) {
          results.push({ environment: id, killed: false, version: current.version });
          continue;
        }
        const written = await writeConfig(s, ctx, {
          flag,
          environmentId: id,
          expectedVersion: current.version,
          config: { ...current.config, enabled: false },
          action: 'kill',
          reason,
          outboxKind: 'kill',
          now,
        });
        results.push({ environment: id, killed: true, version: written.version });
      }
      return results;
    });
  }
}
