import { type Segment, validateSegment } from '@flagship/evaluator';
import { auditRecord } from '../audit/audit-record.ts';
import type { Stores } from '../db/stores.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import { conflict, invalidModel, notFound, staleVersion } from '../http/api-error.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { SegmentRecord } from './segment-store.ts';

/** Flags of an environment whose config names the segment. */
export async function flagsUsingSegment(s: Stores, environmentId: string, segmentKey: string): Promise<string[]> {
  const uses = (c: { conditions: Array<{ op: string; values: Array<string | number> }> }) =>
    c.conditions.some((x) => (x.op === 'inSegment' || x.op === 'notInSegment') && x.values.includes(segmentKey));
  return (await s.configs.listByEnvironment(environmentId)).filter((c) => c.config.rules.some(uses)).map((c) => c.flagKey);
}

/** Segments: per environment, versioned, bumped on every write. */
export class SegmentService {
  constructor(private readonly uow: UnitOfWork, private readonly now: () => string) {}

  async list(projectKey: string, envKey: string): Promise<SegmentRecord[]> {
    return this.uow.read(async (s) => s.segments.list((await requireEnvironmentRecord(s, projectKey, envKey)).id));
  }

  async get(projectKey: string, envKey: string, key: string): Promise<SegmentRecord> {
    return this.uow.read(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const r = await s.segments.get(env.id, key);
      if (!r) throw notFound(`segment ${key} in ${env.id}`);
      return r;
    });
  }

  async create(ctx: RequestContext, projectKey: string, envKey: string, input: Record<string, unknown>): Promise<SegmentRecord> {
    const checked = validateSegment({ included: [], excluded: [], rules: [], ...input, version: 1 });
    if (!checked.ok) throw invalidModel(checked.problems, 'the segment fails validation');
    return this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const now = this.now();
      const record: SegmentRecord = { environmentId: env.id, segment: checked.value, createdAt: now, updatedAt: now };
      try {
        await s.segments.insert(record);
      } catch (e) {
        if (e instanceof DuplicateKeyError) throw conflict('DUPLICATE_KEY', `segment ${checked.value.key} already exists in ${env.id}`);
        throw e;
      }
      await s.audit.append(auditRecord(ctx, now, { action: 'create', entityType: 'segment', entityKey: record.segment.key, projectKey, environmentId: env.id, after: record.segment }));
      await s.outbox.append(env.id, 'segment', record.segment.key, now);
      return record;
    });
  }

  async update(ctx: RequestContext, projectKey: string, envKey: string, key: string, version: number, input: Record<string, unknown>): Promise<SegmentRecord> {
    return this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const before = await s.segments.get(env.id, key);
      if (!before) throw notFound(`segment ${key} in ${env.id}`);
      if (before.segment.version !== version) throw staleVersion(`segment ${key}`, before.segment.version);
      const checked = validateSegment({ included: [], excluded: [], rules: [], ...input, key, version: version + 1 });
      if (!checked.ok) throw invalidModel(checked.problems, 'the segment fails validation');
      return this.save(s, ctx, projectKey, before, checked.value, 'update');
    });
  }

  /** Writes a validated segment over `before` (shared with imports). */
  async save(s: Stores, ctx: RequestContext, projectKey: string, before: SegmentRecord, segment: Segment, action: string): Promise<SegmentRecord> {
    const now = this.now();
    const next: Segment = { ...segment, version: before.segment.version + 1 };
    if (!(await s.segments.update(before.environmentId, before.segment.key, before.segment.version, next, now))) {
      throw staleVersion(`segment ${before.segment.key}`, (await s.segments.get(before.environmentId, before.segment.key))?.segment.version ?? before.segment.version);
    }
    await s.audit.append(auditRecord(ctx, now, { action, entityType: 'segment', entityKey: next.key, projectKey, environmentId: before.environmentId, before: before.segment, after: next }));
    await s.outbox.append(before.environmentId, 'segment', next.key, now);
    return { ...before, segment: next, updatedAt: now };
  }

  /** Refused (409) while a flag config of the environment uses the segment. */
  async delete(ctx: RequestContext, projectKey: string, envKey: string, key: string): Promise<void> {
    await this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const before = await s.segments.get(env.id, key);
      if (!before) throw notFound(`segment ${key} in ${env.id}`);
      const users = await flagsUsingSegment(s, env.id, key);
      if (users.length > 0) throw conflict('SEGMENT_IN_USE', `segment ${key} is used by flags: ${users.join(', ')}`);
      await s.segments.delete(env.id, key);
      const now = this.now();
      await s.audit.append(auditRecord(ctx, now, { action: 'delete', entityType: 'segment', entityKey: key, projectKey, environmentId: env.id, before: before.segment }));
      await s.outbox.append(env.id, 'segment', key, now);
    });
  }
}
