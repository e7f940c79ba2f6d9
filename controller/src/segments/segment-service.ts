import { type Segment, validateSegment } from '@flagship/evaluator';
import { auditRecord } from '../audit/audit-record.ts';
import { assessChange, enforceImpact } from '../auth/change-impact.ts';
import type { Stores } from '../db/stores.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import { conflict, invalidModel, notFound, staleVersion } from '../errors/domain-errors.ts';
import { joinPath } from '../http/problem-path.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { SegmentRecord } from './segment-store.ts';

type Conditions = { conditions: Array<{ op: string; values: Array<string | number> }> };

/** The segment keys a config's rules name in an `inSegment`/`notInSegment` condition. */
function segmentsNamed(rules: Conditions[]): Set<string> {
  const named = new Set<string>();
  for (const r of rules)
    for (const x of r.conditions)
      if (x.op === 'inSegment' || x.op === 'notInSegment') for (const v of x.values) named.add(String(v));
  return named;
}

/**
 * Where each segment of an environment is used: segment key -> the flags (sorted) whose config in
 * the environment names it in a condition. One read of the environment's configs for all segments.
 */
export async function segmentUsage(s: Stores, environmentId: string): Promise<Map<string, string[]>> {
  const usage = new Map<string, string[]>();
  for (const c of await s.configs.listByEnvironment(environmentId))
    for (const key of segmentsNamed(c.config.rules)) {
      const flags = usage.get(key) ?? [];
      flags.push(c.flagKey);
      usage.set(key, flags);
    }
  for (const flags of usage.values()) flags.sort();
  return usage;
}

/** Flags of an environment whose config names the segment (what refuses a delete: SEGMENT_IN_USE). */
export async function flagsUsingSegment(s: Stores, environmentId: string, segmentKey: string): Promise<string[]> {
  return (await segmentUsage(s, environmentId)).get(segmentKey) ?? [];
}

/** A segment record with the flags that use it in its environment (`usedBy`, as GET answers it). */
export type SegmentInUse = SegmentRecord & { usedBy: string[] };

/**
 * A proposed segment, validated as it would be stored at `version` (1 for a new one, the base
 * version + 1 for an update); problems are reported under `prefix` (a change request's
 * `segment`). Throws 422 INVALID_MODEL.
 */
export function checkedSegment(key: string, input: Record<string, unknown>, version: number, prefix = ''): Segment {
  const { version: _v, ...fields } = input;
  const checked = validateSegment({ included: [], excluded: [], rules: [], ...fields, key, version });
  if (!checked.ok)
    throw invalidModel(
      checked.problems.map((p) => ({ path: joinPath(prefix, p.path), message: p.message })),
      'the segment fails validation',
    );
  return checked.value;
}

/** How a segment write is made: directly (`approved` unset), or by approving a change request. */
export interface SegmentWrite {
  /** The write is an approved change request: an approval-required environment does not refuse it. */
  approved?: boolean;
  /** Recorded in the audit row (the change request that carried the write). */
  reason?: string;
}

/**
 * A segment is part of what its environment serves (flag rules test it), so a write goes
 * through the same impact check as a config write: outside the key's environments 403, in an
 * approval-required environment 409 APPROVAL_REQUIRED unless approved (change request kind
 * `segment`).
 */
async function enforceSegmentImpact(
  s: Stores,
  ctx: RequestContext,
  projectKey: string,
  environmentId: string,
  segmentKey: string,
  o: SegmentWrite,
): Promise<void> {
  const impact = await assessChange(s, projectKey, [{ kind: 'segment', environmentId, segmentKey }]);
  enforceImpact(ctx.actor, impact, { approved: o.approved === true, kind: 'segment' });
}

/** Inserts a validated segment (version 1) in `environmentId`, audited; 409 DUPLICATE_KEY when it exists. */
export async function createSegmentIn(
  s: Stores,
  ctx: RequestContext,
  projectKey: string,
  environmentId: string,
  segment: Segment,
  now: string,
  o: SegmentWrite = {},
): Promise<SegmentRecord> {
  await enforceSegmentImpact(s, ctx, projectKey, environmentId, segment.key, o);
  const record: SegmentRecord = { environmentId, segment: { ...segment, version: 1 }, createdAt: now, updatedAt: now };
  try {
    await s.segments.insert(record);
  } catch (e) {
    if (e instanceof DuplicateKeyError)
      throw conflict('DUPLICATE_KEY', `segment ${segment.key} already exists in ${environmentId}`);
    throw e;
  }
  await s.audit.append(
    auditRecord(ctx, now, {
      action: 'create',
      entityType: 'segment',
      entityKey: segment.key,
      projectKey,
      environmentId,
      after: record.segment,
      reason: o.reason ?? null,
    }),
  );
  await s.outbox.append(environmentId, 'segment', segment.key, now);
  return record;
}

/** Replaces segment `key` at `expectedVersion` with `input` (re-validated here), audited. */
export async function updateSegmentIn(
  s: Stores,
  ctx: RequestContext,
  projectKey: string,
  environmentId: string,
  key: string,
  expectedVersion: number,
  input: Record<string, unknown>,
  now: string,
  o: SegmentWrite & { prefix?: string } = {},
): Promise<SegmentRecord> {
  await enforceSegmentImpact(s, ctx, projectKey, environmentId, key, o);
  const before = await s.segments.get(environmentId, key);
  if (!before) throw notFound(`segment ${key} in ${environmentId}`);
  if (before.segment.version !== expectedVersion) throw staleVersion(`segment ${key}`, before.segment.version);
  const segment = checkedSegment(key, input, expectedVersion + 1, o.prefix);
  return saveSegment(s, ctx, projectKey, before, segment, 'update', now, o.reason);
}

/** Writes a validated segment over `before`, conditional on its version, audited (shared with imports). */
export async function saveSegment(
  s: Stores,
  ctx: RequestContext,
  projectKey: string,
  before: SegmentRecord,
  segment: Segment,
  action: string,
  now: string,
  reason?: string,
): Promise<SegmentRecord> {
  const next: Segment = { ...segment, version: before.segment.version + 1 };
  if (!(await s.segments.update(before.environmentId, before.segment.key, before.segment.version, next, now))) {
    throw staleVersion(
      `segment ${before.segment.key}`,
      (await s.segments.get(before.environmentId, before.segment.key))?.segment.version ?? before.segment.version,
    );
  }
  await s.audit.append(
    auditRecord(ctx, now, {
      action,
      entityType: 'segment',
      entityKey: next.key,
      projectKey,
      environmentId: before.environmentId,
      before: before.segment,
      after: next,
      reason: reason ?? null,
    }),
  );
  await s.outbox.append(before.environmentId, 'segment', next.key, now);
  return { ...before, segment: next, updatedAt: now };
}

/**
 * Deletes segment `key` (at `expectedVersion` when given), audited. Refused (409
 * SEGMENT_IN_USE) while a flag config of the environment uses it.
 */
export async function deleteSegmentIn(
  s: Stores,
  ctx: RequestContext,
  projectKey: string,
  environmentId: string,
  key: string,
  expectedVersion: number | undefined,
  now: string,
  o: SegmentWrite = {},
): Promise<void> {
  await enforceSegmentImpact(s, ctx, projectKey, environmentId, key, o);
  const before = await s.segments.get(environmentId, key);
  if (!before) throw notFound(`segment ${key} in ${environmentId}`);
  if (expectedVersion !== undefined && before.segment.version !== expectedVersion)
    throw staleVersion(`segment ${key}`, before.segment.version);
  const users = await flagsUsingSegment(s, environmentId, key);
  if (users.length > 0) throw conflict('SEGMENT_IN_USE', `segment ${key} is used by flags: ${users.join(', ')}`);
  await s.segments.delete(environmentId, key);
  await s.audit.append(
    auditRecord(ctx, now, {
      action: 'delete',
      entityType: 'segment',
      entityKey: key,
      projectKey,
      environmentId,
      before: before.segment,
      reason: o.reason ?? null,
    }),
  );
  await s.outbox.append(environmentId, 'segment', key, now);
}

/**
 * Segments: per environment, versioned, bumped on every write. Writes in an approval-required
 * environment go through a change request of kind `segment` (change-requests/).
 */
export class SegmentService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly now: () => string,
  ) {}

  /** The environment's segments, each with the flags that use it (one read of the configs for all). */
  async list(projectKey: string, envKey: string): Promise<SegmentInUse[]> {
    return this.uow.read(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const records = await s.segments.list(env.id);
      const usage = await segmentUsage(s, env.id);
      return records.map((r) => ({ ...r, usedBy: usage.get(r.segment.key) ?? [] }));
    });
  }

  async get(projectKey: string, envKey: string, key: string): Promise<SegmentInUse> {
    return this.uow.read(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const r = await s.segments.get(env.id, key);
      if (!r) throw notFound(`segment ${key} in ${env.id}`);
      return { ...r, usedBy: await flagsUsingSegment(s, env.id, key) };
    });
  }

  async create(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    input: Record<string, unknown>,
  ): Promise<SegmentRecord> {
    const segment = checkedSegment(input.key as string, input, 1);
    return this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      return createSegmentIn(s, ctx, projectKey, env.id, segment, this.now());
    });
  }

  async update(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    key: string,
    version: number,
    input: Record<string, unknown>,
  ): Promise<SegmentRecord> {
    return this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      return updateSegmentIn(s, ctx, projectKey, env.id, key, version, input, this.now());
    });
  }

  /** Writes a validated segment over `before` (shared with imports). */
  async save(
    s: Stores,
    ctx: RequestContext,
    projectKey: string,
    before: SegmentRecord,
    segment: Segment,
    action: string,
  ): Promise<SegmentRecord> {
    return saveSegment(s, ctx, projectKey, before, segment, action, this.now());
  }

  /** Refused (409) while a flag config of the environment uses the segment. */
  async delete(ctx: RequestContext, projectKey: string, envKey: string, key: string): Promise<void> {
    await this.uow.write(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      await deleteSegmentIn(s, ctx, projectKey, env.id, key, undefined, this.now());
    });
  }
}
