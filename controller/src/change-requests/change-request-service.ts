import { auditRecord } from '../audit/audit-record.ts';
import { assessChange, type ChangePart, enforceImpact } from '../auth/change-impact.ts';
import type { Stores } from '../db/stores.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import { configProblems, writeConfig } from '../flags/config-writes.ts';
import { changeArchived, checkedDefinition, requireFlag, updateDefinition } from '../flags/flag-service.ts';
import { conflict, forbidden, invalidModel, notFound, StaleVersionError } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { RolloutRecord } from '../rollouts/rollout-record.ts';
import type { PolicyCatalog, RolloutService } from '../rollouts/rollout-service.ts';
import { checkedSegment, createSegmentIn, deleteSegmentIn, updateSegmentIn } from '../segments/segment-service.ts';
import { approveSchedule, withdrawSchedule } from '../schedules/schedule-approval.ts';
import type {
  FileableKind,
  ChangeRequestPayload,
  ChangeRequestRecord,
  ChangeRequestStatus,
  Review,
  SegmentAction,
} from './change-request-store.ts';

/** What an author files; which fields a kind needs is the route's shape check. */
export interface NewChangeRequest {
  kind: FileableKind;
  flag?: string;
  config?: unknown;
  definition?: Record<string, unknown>;
  policy?: string;
  treatment?: string;
  control?: string;
  reason?: string;
  rolloutId?: number;
  action?: SegmentAction;
  segmentKey?: string;
  segment?: Record<string, unknown>;
  baseVersion: number;
  comment?: string;
}

const moved = (what: string, base: number, current: number) =>
  conflict('BASE_MOVED', `${what} moved from version ${base} to ${current} since the request was filed`, {
    currentVersion: current,
  });

/**
 * Four-eyes changes. Approval applies the change at once, in the same transaction, re-validated
 * and version-guarded (there is no separate apply step): an approved request is an applied one.
 * If what it is based on moved since it was filed, approval is refused (409 BASE_MOVED) and the
 * request stays pending, so the author can cancel it and file a fresh one. A `schedule` request is
 * the exception: approving it arms its schedule, which the workers apply at its time (the
 * request's `applied` then means approved; the schedule's status says what came of it).
 *
 * Nobody with a key of the author's owner may approve (403 SELF_APPROVAL). The approver's key
 * must itself be allowed to make the change (change-impact.ts): a definition, archive or
 * unarchive request affects every environment of the project, so it takes one approver with a
 * key not limited to environments, whose one approval covers every approval-required
 * environment it touches.
 */
export class ChangeRequestService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly now: () => string,
    /** A getter: the composition root builds the rollout service after this one. */
    private readonly rolloutService?: () => RolloutService,
    private readonly policies?: PolicyCatalog,
  ) {}

  private get rollouts(): RolloutService | undefined {
    return this.rolloutService?.();
  }

  async create(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    input: NewChangeRequest,
  ): Promise<ChangeRequestRecord> {
    return this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const now = this.now();
      let flagKey = input.flag ?? '';
      let config: ChangeRequestRecord['config'] = null;
      let payload: ChangeRequestPayload | null = null;
      let part: ChangePart;
      if (input.kind === 'segment') {
        flagKey = '';
        const key = input.segmentKey!;
        const action = input.action!;
        const current = await s.segments.get(env.id, key);
        if (action === 'create') {
          if (current) throw conflict('DUPLICATE_KEY', `segment ${key} already exists in ${env.id}`);
          if (input.baseVersion !== 0)
            throw new StaleVersionError(
              `segment ${key} does not exist yet: a create is based on version 0, not ${input.baseVersion}`,
              0,
            );
        } else {
          if (!current) throw notFound(`segment ${key} in ${env.id}`);
          if (current.segment.version !== input.baseVersion)
            throw new StaleVersionError(
              `segment ${key} is at version ${current.segment.version}, not ${input.baseVersion}`,
              current.segment.version,
            );
        }
        // Validated as filed, so the approver reviews a segment that can be stored.
        payload = {
          segment: {
            action,
            key,
            ...(action === 'delete'
              ? {}
              : { segment: checkedSegment(key, input.segment!, input.baseVersion + 1, 'segment') }),
          },
        };
        part = { kind: 'segment', environmentId: env.id, segmentKey: key };
      } else if (input.kind === 'rollout-retry') {
        const r = await s.rollouts.get(input.rolloutId!);
        if (!r || r.environmentId !== env.id) throw notFound(`rollout ${input.rolloutId} in ${env.id}`);
        if (r.version !== input.baseVersion)
          throw new StaleVersionError(
            `rollout ${r.id} is at version ${r.version}, not ${input.baseVersion}`,
            r.version,
          );
        if (r.status !== 'rolled-back' && r.status !== 'aborted')
          throw conflict('INVALID_TRANSITION', `rollout ${r.id} is ${r.status}; a retry needs rolled-back or aborted`);
        flagKey = r.flagKey;
        payload = { rolloutId: r.id, reason: input.reason ?? null };
        part = { kind: 'rollout', environmentId: env.id, flagKey };
      } else {
        const flag = await requireFlag(s, projectKey, flagKey);
        flagKey = flag.key;
        if (flag.archived && input.kind !== 'unarchive')
          throw conflict('FLAG_ARCHIVED', `flag ${flag.key} is archived`);
        if (input.kind === 'config' || input.kind === 'rollout-start') {
          const current = await s.configs.get(env.id, flag.key);
          if (!current) throw notFound(`config of flag ${flag.key} in ${env.id}`);
          if (current.version !== input.baseVersion)
            throw new StaleVersionError(
              `the config is at version ${current.version}, not ${input.baseVersion}`,
              current.version,
            );
        } else if (flag.version !== input.baseVersion) {
          throw new StaleVersionError(
            `flag ${flag.key} is at version ${flag.version}, not ${input.baseVersion}`,
            flag.version,
          );
        }
        if (input.kind === 'config') {
          const checked = await configProblems(s, flag, env.id, input.config, '/config');
          if (!checked.config) throw invalidModel(checked.problems, 'the proposed config fails validation');
          config = checked.config;
          part = { kind: 'config', environmentId: env.id, flagKey };
        } else if (input.kind === 'definition') {
          const { key: _k, version: _v, ...definition } = input.definition!;
          payload = { definition: (await checkedDefinition(s, flag, definition, now)).definition };
          part = { kind: 'definition', flagKey };
        } else if (input.kind === 'rollout-start') {
          const policy = this.policies?.get(input.policy!);
          if (!policy)
            throw invalidModel(
              [
                {
                  path: 'policy',
                  message: `unknown policy "${input.policy}"; known: ${(this.policies?.list() ?? []).map((p) => p.name).join(', ')}`,
                },
              ],
              `no policy named ${input.policy}`,
            );
          const problems = (['treatment', 'control'] as const)
            .filter((f) => !(input[f]! in flag.definition.variants))
            .map((f) => ({ path: f, message: `flag ${flag.key} has no variant "${input[f]}"` }));
          if (input.treatment === input.control)
            problems.push({ path: 'control', message: 'must differ from treatment' });
          if (problems.length > 0) throw invalidModel(problems, 'the rollout cannot start');
          // The policy is pinned as filed: approval starts exactly what the approver saw.
          payload = {
            rollout: {
              policy: policy.name,
              policyDocument: policy,
              treatment: input.treatment!,
              control: input.control!,
              reason: input.reason ?? null,
            },
          };
          part = { kind: 'rollout', environmentId: env.id, flagKey };
        } else {
          if ((input.kind === 'archive') === flag.archived)
            throw conflict('NOTHING_TO_CHANGE', `flag ${flag.key} is already ${flag.archived ? 'archived' : 'live'}`);
          part = { kind: input.kind, flagKey };
        }
      }
      // The author must be allowed to make the change but for the approval (a scoped key cannot
      // ask for a project-wide one), and it must concern this environment.
      const impact = await assessChange(s, projectKey, [part]);
      enforceImpact(ctx.actor, impact, { approved: true, kind: input.kind });
      if (!impact.environments.includes(env.id))
        throw conflict('NOT_AFFECTED', `this change does not affect ${env.id}: file it in an environment it changes`);
      const cr: Omit<ChangeRequestRecord, 'id'> = {
        environmentId: env.id,
        projectKey,
        flagKey,
        kind: input.kind,
        config,
        payload,
        baseVersion: input.baseVersion,
        comment: input.comment ?? '',
        status: 'pending',
        author: { keyId: ctx.actor.keyId, name: ctx.actor.name, owner: ctx.actor.owner },
        reviews: [],
        appliedVersion: null,
        createdAt: now,
        updatedAt: now,
      };
      const id = await s.changeRequests.insert(cr);
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'change-request.create',
          entityType: 'change-request',
          entityKey: id,
          projectKey,
          environmentId: env.id,
          flagKey,
          after: { ...publicView({ ...cr, id }) },
          reason: cr.comment,
        }),
      );
      return { ...cr, id };
    });
  }

  async list(projectKey: string, envKey: string, status?: ChangeRequestStatus): Promise<ChangeRequestRecord[]> {
    return this.uow.read(async (s) =>
      s.changeRequests.list((await requireEnvironmentRecord(s, projectKey, envKey)).id, status),
    );
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

  /** Approve and apply, atomically. The approver must not be the author (by owner). */
  async approve(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    id: string,
    comment: string,
  ): Promise<ChangeRequestRecord> {
    let started: RolloutRecord | undefined;
    const decided = await this.uow.write(async (s) => {
      started = undefined;
      const cr = await this.find(s, projectKey, envKey, id);
      this.pending(cr);
      // The person, not the key: a second key of the author's owner is still the author.
      if (cr.author.owner === ctx.actor.owner)
        throw forbidden(
          `change request ${cr.id} was filed by ${cr.author.owner}: someone else must approve it (any key of the same owner is refused)`,
          'SELF_APPROVAL',
        );
      const now = this.now();
      const reason = `change request ${cr.id}: ${cr.comment}`;
      const envKeyOf = cr.environmentId.slice(cr.projectKey.length + 1);
      let applied: number | null;
      let payload: ChangeRequestPayload | null | undefined;
      switch (cr.kind) {
        case 'config': {
          const flag = await requireFlag(s, projectKey, cr.flagKey);
          if (flag.archived) throw conflict('FLAG_ARCHIVED', `flag ${flag.key} is archived`);
          const current = await s.configs.getForUpdate(cr.environmentId, cr.flagKey);
          if (!current) throw notFound(`config of flag ${cr.flagKey}`);
          if (current.version !== cr.baseVersion) throw moved('the config', cr.baseVersion, current.version);
          enforceImpact(
            ctx.actor,
            await assessChange(s, projectKey, [
              { kind: 'config', environmentId: cr.environmentId, flagKey: cr.flagKey },
            ]),
            { approved: true, kind: cr.kind },
          );
          // Re-validate: flags, variants or segments it names may have changed since it was filed.
          const { problems, config } = await configProblems(s, flag, cr.environmentId, cr.config, '/config');
          if (!config) throw invalidModel(problems, 'the proposed config is no longer valid');
          applied = (
            await writeConfig(s, ctx, {
              flag,
              environmentId: cr.environmentId,
              expectedVersion: cr.baseVersion,
              config,
              action: 'apply',
              reason,
              now,
            })
          ).version;
          break;
        }
        case 'definition':
        case 'archive':
        case 'unarchive': {
          const flag = await requireFlag(s, projectKey, cr.flagKey);
          if (flag.version !== cr.baseVersion) throw moved(`flag ${flag.key}`, cr.baseVersion, flag.version);
          const { key: _k, ...definition } = cr.payload?.definition ?? flag.definition;
          const next =
            cr.kind === 'definition'
              ? await updateDefinition(s, ctx, projectKey, cr.flagKey, cr.baseVersion, definition, now, {
                  approved: true,
                })
              : await changeArchived(s, ctx, projectKey, cr.flagKey, cr.kind === 'archive', reason, now, {
                  approved: true,
                  expectedVersion: cr.baseVersion,
                });
          applied = next.version;
          break;
        }
        case 'rollout-start': {
          const r = cr.payload?.rollout;
          if (!r || !this.rollouts)
            throw conflict('ROLLOUTS_UNAVAILABLE', 'rollouts are not configured in this controller');
          const current = await s.configs.getForUpdate(cr.environmentId, cr.flagKey);
          if (!current) throw notFound(`config of flag ${cr.flagKey}`);
          if (current.version !== cr.baseVersion) throw moved('the config', cr.baseVersion, current.version);
          started = await this.rollouts.startIn(
            s,
            ctx,
            projectKey,
            envKeyOf,
            cr.flagKey,
            { treatment: r.treatment, control: r.control, reason: r.reason ?? reason },
            r.policyDocument,
            { approved: true, requestedBy: { name: cr.author.name, owner: cr.author.owner } },
          );
          applied = current.version + 1;
          payload = { ...cr.payload, rolloutId: started.id };
          break;
        }
        case 'segment': {
          const change = cr.payload!.segment!;
          const current = await s.segments.get(cr.environmentId, change.key);
          const at = current?.segment.version ?? 0;
          if (at !== cr.baseVersion) throw moved(`segment ${change.key}`, cr.baseVersion, at);
          const o = { approved: true, reason };
          // Each write re-checks the approver's access and re-validates (create, update) or
          // re-checks use by flags (delete), in this transaction.
          if (change.action === 'create') {
            const { key: _k, version: _v, ...fields } = change.segment!;
            applied = (
              await createSegmentIn(
                s,
                ctx,
                projectKey,
                cr.environmentId,
                checkedSegment(change.key, fields, 1, 'segment'),
                now,
                o,
              )
            ).segment.version;
          } else if (change.action === 'update') {
            const { key: _k, version: _v, ...fields } = change.segment!;
            applied = (
              await updateSegmentIn(s, ctx, projectKey, cr.environmentId, change.key, cr.baseVersion, fields, now, {
                ...o,
                prefix: 'segment',
              })
            ).segment.version;
          } else {
            await deleteSegmentIn(s, ctx, projectKey, cr.environmentId, change.key, cr.baseVersion, now, o);
            applied = null; // nothing is left to have a version
          }
          break;
        }
        case 'schedule': {
          // Approval arms the schedule; the change itself is made at its time by the workers.
          await approveSchedule(s, ctx, cr.id, now);
          applied = null;
          break;
        }
        case 'rollout-retry': {
          if (!this.rollouts) throw conflict('ROLLOUTS_UNAVAILABLE', 'rollouts are not configured in this controller');
          const rolloutId = cr.payload!.rolloutId!;
          const current = await s.rollouts.get(rolloutId);
          if (!current) throw notFound(`rollout ${rolloutId}`);
          if (current.version !== cr.baseVersion) throw moved(`rollout ${rolloutId}`, cr.baseVersion, current.version);
          started = await this.rollouts.retryIn(s, ctx, rolloutId, cr.baseVersion, cr.payload?.reason ?? reason, {
            owner: cr.author.owner,
          });
          applied = started.version;
          break;
        }
      }
      return this.decide(s, ctx, cr, 'applied', 'approve', comment, applied, now, payload);
    });
    if (started) await this.rollouts!.armAfterCommit(started);
    return decided;
  }

  async reject(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    id: string,
    comment: string,
  ): Promise<ChangeRequestRecord> {
    return this.uow.write(async (s) => {
      const cr = await this.find(s, projectKey, envKey, id);
      this.pending(cr);
      const now = this.now();
      if (cr.kind === 'schedule') await withdrawSchedule(s, ctx, cr.id, now, `rejected by ${ctx.actor.owner}`);
      return this.decide(s, ctx, cr, 'rejected', 'reject', comment, null, now);
    });
  }

  /** The author (any key of the same owner) or an admin withdraws the request. */
  async cancel(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    id: string,
    comment: string,
  ): Promise<ChangeRequestRecord> {
    return this.uow.write(async (s) => {
      const cr = await this.find(s, projectKey, envKey, id);
      this.pending(cr);
      if (cr.author.owner !== ctx.actor.owner && ctx.actor.role !== 'admin')
        throw forbidden('only the author or an admin can cancel a change request', 'NOT_AUTHOR');
      const now = this.now();
      if (cr.kind === 'schedule')
        await withdrawSchedule(s, ctx, cr.id, now, `change request cancelled by ${ctx.actor.owner}`);
      return this.decide(s, ctx, cr, 'cancelled', 'cancel', comment, null, now);
    });
  }

  private async decide(
    s: Stores,
    ctx: RequestContext,
    cr: ChangeRequestRecord,
    status: ChangeRequestStatus,
    decision: Review['decision'],
    comment: string,
    appliedVersion: number | null,
    now: string,
    payload?: ChangeRequestPayload | null,
  ) {
    const reviews = [
      ...cr.reviews,
      { keyId: ctx.actor.keyId, name: ctx.actor.name, owner: ctx.actor.owner, decision, comment, at: now },
    ];
    if (!(await s.changeRequests.decide(cr.id, status, reviews, appliedVersion, now, payload)))
      throw conflict('NOT_PENDING', `change request ${cr.id} was decided concurrently`);
    const after: ChangeRequestRecord = {
      ...cr,
      status,
      reviews,
      appliedVersion,
      updatedAt: now,
      ...(payload !== undefined ? { payload } : {}),
    };
    await s.audit.append(
      auditRecord(ctx, now, {
        action: decision,
        entityType: 'change-request',
        entityKey: cr.id,
        projectKey: cr.projectKey,
        environmentId: cr.environmentId,
        flagKey: cr.flagKey,
        before: { status: cr.status, reviews: cr.reviews },
        after: { status, reviews, appliedVersion },
        reason: comment,
      }),
    );
    return after;
  }
}

/**
 * A change request as the API shows it: the kind's fields at the top level (`config`,
 * `definition`, `rollout`, `rolloutId`, `segment`). The pinned policy document stays inside: it is shown
 * by `GET /policies/{name}` and, once started, in the rollout.
 */
export function publicView(cr: ChangeRequestRecord): Record<string, unknown> {
  const { payload, config, ...rest } = cr;
  const out: Record<string, unknown> = { ...rest };
  // A segment request names no flag.
  if (cr.kind === 'segment') delete out.flagKey;
  if (payload?.segment) out.segment = payload.segment;
  if (config !== null) out.config = config;
  if (payload?.definition) out.definition = payload.definition;
  if (payload?.rollout) {
    const { policyDocument: _p, ...rollout } = payload.rollout;
    out.rollout = rollout;
  }
  if (payload?.rolloutId !== undefined) out.rolloutId = payload.rolloutId;
  if (payload?.schedule) out.schedule = payload.schedule;
  if (payload?.reason !== undefined && !payload.rollout) out.reason = payload.reason;
  return out;
}
