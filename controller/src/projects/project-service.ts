import { auditRecord } from '../audit/audit-record.ts';
import { canReadProject } from '../auth/access.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { conflict, notFound, staleVersion } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { ProjectRecord } from './project-store.ts';

export class ProjectService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly now: () => string,
  ) {}

  async list(ctx: RequestContext): Promise<ProjectRecord[]> {
    const all = await this.uow.read((s) => s.projects.list());
    return all.filter((p) => canReadProject(ctx.actor, p.key));
  }

  async get(key: string): Promise<ProjectRecord> {
    const p = await this.uow.read((s) => s.projects.get(key));
    if (!p) throw notFound(`project ${key}`);
    return p;
  }

  async create(
    ctx: RequestContext,
    input: { key: string; name?: string; description?: string },
  ): Promise<ProjectRecord> {
    const now = this.now();
    const project: ProjectRecord = {
      key: input.key,
      name: input.name ?? input.key,
      description: input.description ?? '',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return this.uow.write(async (s) => {
      try {
        await s.projects.insert(project);
      } catch (e) {
        if (e instanceof DuplicateKeyError) throw conflict('DUPLICATE_KEY', `project ${input.key} already exists`);
        throw e;
      }
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'create',
          entityType: 'project',
          entityKey: project.key,
          projectKey: project.key,
          after: project,
        }),
      );
      return project;
    });
  }

  async update(
    ctx: RequestContext,
    key: string,
    version: number,
    patch: { name?: string; description?: string },
  ): Promise<ProjectRecord> {
    return this.uow.write(async (s) => {
      const before = await s.projects.get(key);
      if (!before) throw notFound(`project ${key}`);
      if (before.version !== version) throw staleVersion(`project ${key}`, before.version);
      const now = this.now();
      const next = { name: patch.name ?? before.name, description: patch.description ?? before.description };
      if (!(await s.projects.update(key, version, next, now)))
        throw staleVersion(`project ${key}`, (await s.projects.get(key))?.version ?? 0);
      const after: ProjectRecord = { ...before, ...next, version: version + 1, updatedAt: now };
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'update',
          entityType: 'project',
          entityKey: key,
          projectKey: key,
          before,
          after,
        }),
      );
      return after;
    });
  }

  /** Only an empty project (no environments, no flags) can be deleted: flags are never hard-deleted. */
  async delete(ctx: RequestContext, key: string): Promise<void> {
    await this.uow.write(async (s) => {
      const before = await s.projects.get(key);
      if (!before) throw notFound(`project ${key}`);
      // Metric definitions too: a new project with the same key must not inherit them unaudited.
      if (
        (await s.environments.listByProject(key)).length > 0 ||
        (await s.flags.countByProject(key)) > 0 ||
        (await s.metrics.list(key)).length > 0
      ) {
        throw conflict('PROJECT_NOT_EMPTY', `project ${key} still has environments, flags or metric definitions`);
      }
      await s.projects.delete(key);
      await s.audit.append(
        auditRecord(ctx, this.now(), {
          action: 'delete',
          entityType: 'project',
          entityKey: key,
          projectKey: key,
          before,
        }),
      );
    });
  }
}
