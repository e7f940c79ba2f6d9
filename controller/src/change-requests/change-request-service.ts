import { auditRecord } from '../audit/audit-record.ts';
import type { Stores } from '../db/stores.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import { configProblems, writeConfig } from '../flags/config-writes.ts';
import { requireFlag } from '../flags/flag-service.ts';
import { ApiError, conflict, forbidden, invalidModel, notFound } from '../http/api-error.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { ChangeRequestRecord, ChangeRequestStatus, Review } from './change-request-store.ts';

/**
 * Four-eyes changes to flag configs. Approval applies the change at once, in the same
 * transaction (there is no separate apply step): an approved request is an applied one. If the
 * config moved since the request's base version, approval is refused (409) and the request
 * stays pending, so the author can cancel it and file a fresh one.
 */
export class ChangeRequestService {
  constructor(private readonly uow: UnitOfWork, private readonly now: () => string) {}

  async create(ctx: RequestContext, projectKey: string, envKey: string, input: { flag: string; config: unknown; baseVersion: number; comment?: string }): Promise<ChangeRequestRecord> {
    return this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const flag = await requireFlag(s, projectKey, input.flag);
      if (flag.archived) throw conflict('FLAG_ARCHIVED', `flag ${flag.key} is archived`);
      const current = await s.configs.get(env.id, flag.key);
      if (!current) throw notFound(`config of flag ${flag.key} in ${env.id}`);
      if (current.version !== input.baseVersion) {
        throw new ApiError(409, 'STALE_VERSION', `the config is at version ${current.version}, not ${input.baseVersion}`, { currentVersion: current.version });
      }
      const { problems, config } = await configProblems(s, flag, env.id, input.config, '/config');
      if (!config) throw invalidModel(problems, 'the proposed config fails validation');
      const now = this.now();
      const cr: Omit<ChangeRequestRecord, 'id'> = {
        environmentId: env.id, projectKey, flagKey: flag.key, kind: 'config', config, payload: null, baseVersion: input.baseVersion, comment: input.comment ?? '',
        status: 'pending', author: { keyId: ctx.actor.keyId, name: ctx.actor.name, owner: ctx.actor.owner }, reviews: [], appliedVersion: null, createdAt: now, updatedAt: now,
      };
      const id = await s.changeRequests.insert(cr);
      await s.audit.append(auditRecord(ctx, now, { action: 'change-request.create', entityType: 'change-request', entityKey: id, projectKey, environmentId: env.id, flagKey: flag.key, after: { ...cr, id }, reason: cr.comment }));
      return { ...cr, id };
    });
  }

  async list(projectKey: string, envKey: string, status?: ChangeRequestStatus): Promise<ChangeRequestRecord[]> {
    return this.uow.read(async (s) => s.changeRequests.list((await requireEnvironmentRecord(s, projectKey, envKey)).id, status));
  }

  async get(projectKey: string, envKey: string, id: string): Promise<ChangeRequestRecord> {
    return this.uow.read((s) => this.find(s, projectKey, envKey, id));
  }

  private async find(s: Stores, projectKey: string, envKey: string, id: string): Promise<ChangeRequestRecord> {
    const env = await requireEnvironmentRecord(s, projectKey, envKey);
    const cr = await s.changeRequests.get(id);
    if (!cr || cr.environmentId !== env.id) throw notFound(`change request ${id} in ${env.id}`);
    return cr;
  }

  private pending(cr: ChangeRequestRecord) {
    if (cr.status !== 'pending') throw conflict('NOT_PENDING', `change request ${cr.id} is already ${cr.status}`);
  }

  /** Approve and apply, atomically. The approver must not be the author. */
  async approve(ctx: RequestContext, projectKey: string, envKey: string, id: string, comment: string): Promise<ChangeRequestRecord> {
    return this.uow.write(async (s) => {
      const cr = await this.find(s, projectKey, envKey, id);
      this.pending(cr);
      // The person, not the key: a second key of the author's owner is still the author.
      if (cr.author.owner === ctx.actor.owner) throw forbidden(`change request ${cr.id} was filed by ${cr.author.owner}: someone else must approve it (any key of the same owner is refused)`, 'SELF_APPROVAL');
      const flag = await requireFlag(s, projectKey, cr.flagKey);
      if (flag.archived) throw conflict('FLAG_ARCHIVED', `flag ${flag.key} is archived`);
      const current = await s.configs.getForUpdate(cr.environmentId, cr.flagKey);
      if (!current) throw notFound(`config of flag ${cr.flagKey}`);
      if (current.version !== cr.baseVersion) {
        throw new ApiError(409, 'BASE_MOVED', `the config moved from version ${cr.baseVersion} to ${current.version} since the request was filed`, { currentVersion: current.version });
      }
      // Re-validate: flags, variants or segments it names may have changed since it was filed.
      const { problems, config } = await configProblems(s, flag, cr.environmentId, cr.config, '/config');
      if (!config) throw invalidModel(problems, 'the proposed config is no longer valid');
      const now = this.now();
      const written = await writeConfig(s, ctx, { flag, environmentId: cr.environmentId, expectedVersion: cr.baseVersion, config, action: 'apply', reason: `change request ${cr.id}: ${cr.comment}`, now });
      return this.decide(s, ctx, cr, 'applied', 'approve', comment, written.version, now);
    });
  }

  async reject(ctx: RequestContext, projectKey: string, envKey: string, id: string, comment: string): Promise<ChangeRequestRecord> {
    return this.uow.write(async (s) => {
      const cr = await this.find(s, projectKey, envKey, id);
      this.pending(cr);
      return this.decide(s, ctx, cr, 'rejected', 'reject', comment, null, this.now());
    });
  }

  /** The author (or an admin) withdraws the request. */
  async cancel(ctx: RequestContext, projectKey: string, envKey: string, id: string, comment: string): Promise<ChangeRequestRecord> {
    return this.uow.write(async (s) => {
      const cr = await this.find(s, projectKey, envKey, id);
      this.pending(cr);
      if (cr.author.keyId !== ctx.actor.keyId && ctx.actor.role !== 'admin') throw forbidden('only the author or an admin can cancel a change request', 'NOT_AUTHOR');
      return this.decide(s, ctx, cr, 'cancelled', 'cancel', comment, null, this.now());
    });
  }

  private async decide(s: Stores, ctx: RequestContext, cr: ChangeRequestRecord, status: ChangeRequestStatus, decision: Review['decision'], comment: string, appliedVersion: number | null, now: string) {
    const reviews = [...cr.reviews, { keyId: ctx.actor.keyId, name: ctx.actor.name, decision, comment, at: now }];
    if (!(await s.changeRequests.decide(cr.id, status, reviews, appliedVersion, now))) throw conflict('NOT_PENDING', `change request ${cr.id} was decided concurrently`);
    const after: ChangeRequestRecord = { ...cr, status, reviews, appliedVersion, updatedAt: now };
    await s.audit.append(auditRecord(ctx, now, {
      action: decision, entityType: 'change-request', entityKey: cr.id, projectKey: cr.projectKey, environmentId: cr.environmentId,
      flagKey: cr.flagKey, before: { status: cr.status, reviews: cr.reviews }, after: { status, reviews, appliedVersion }, reason: comment,
    }));
    return after;
  }
}
