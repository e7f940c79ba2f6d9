import { auditRecord } from '../audit/audit-record.ts';
import type { Stores } from '../db/stores.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { conflict, invalidModel, notFound, staleVersion } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { PolicyCatalog } from '../rollouts/rollout-service.ts';
import { type MetricDefinition, validateMetricDefinition } from './metric-definition.ts';
import type { MetricRecord } from './metric-store.ts';
import { type MetricSource, policyMetricDefinitions } from './policy-metrics.ts';

/** A definition as the API shows it: the project's own carry a version, the policies' none. */
export type MetricView = MetricDefinition & {
  source: MetricSource;
  readOnly: boolean;
  version?: number;
  createdAt?: string;
  updatedAt?: string;
};

export const metricView = (r: MetricRecord): MetricView & { version: number } => ({
  ...r.definition,
  source: 'project',
  readOnly: false,
  version: r.version,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/** A definition from a body, or 422 VALIDATION_FAILED with every problem by path. */
export function checkedDefinition(key: string, input: Record<string, unknown>): MetricDefinition {
  const checked = validateMetricDefinition(key, input);
  if (!checked.ok) throw invalidModel(checked.problems, 'the metric definition fails validation');
  return checked.value;
}

/** A policy's metric changes with its policy file, never through the API. */
function refusePolicyKey(key: string): void {
  if (key.startsWith('policy:'))
    throw conflict('METRIC_READ_ONLY', `metric ${key} comes from a ramp policy: change the policy file instead`);
}

/**
 * A definition that names flags makes the evaluators count them per variant (the snapshot's
 * `trackExposures`, controller/src/snapshots/exposure-tracking.ts): when that set changes, the
 * project's environments are republished, in the same transaction as the change.
 */
async function republishTracking(
  s: Stores,
  projectKey: string,
  before: MetricDefinition | undefined,
  after: MetricDefinition | undefined,
  now: string,
): Promise<void> {
  const was = new Set(before?.flags ?? []);
  const is = new Set(after?.flags ?? []);
  const changed = [...new Set([...was, ...is])].filter((k) => was.has(k) !== is.has(k));
  if (changed.length === 0) return;
  for (const env of await s.environments.listByProject(projectKey))
    for (const flag of changed) await s.outbox.append(env.id, 'flag', flag, now);
}

async function requireProject(s: Stores, projectKey: string): Promise<void> {
  if (!(await s.projects.get(projectKey))) throw notFound(`project ${projectKey}`);
}

/**
 * Metric definitions per project (what the impact API measures a flag by), audited like every
 * other change (`metric.create`, `metric.update`, `metric.delete`, entity type `metric`). They
 * are not part of what an environment serves, so no outbox row and no change request.
 */
export class MetricService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly now: () => string,
    private readonly policies: PolicyCatalog,
  ) {}

  /** The project's definitions by key, then every loaded policy's metrics (read-only). */
  async list(projectKey: string): Promise<MetricView[]> {
    const own = await this.uow.read(async (s) => {
      await requireProject(s, projectKey);
      return s.metrics.list(projectKey);
    });
    return [...own.map(metricView), ...policyMetricDefinitions(this.policies).map((d) => ({ ...d, readOnly: true }))];
  }

  /** One definition of the project's own, or a policy's by its `policy:<name>:<metric>` key. */
  async get(projectKey: string, key: string): Promise<MetricView> {
    const r = await this.uow.read(async (s) => {
      await requireProject(s, projectKey);
      return s.metrics.get(projectKey, key);
    });
    if (r) return metricView(r);
    const fromPolicy = policyMetricDefinitions(this.policies).find((d) => d.key === key);
    if (fromPolicy) return { ...fromPolicy, readOnly: true };
    throw notFound(`metric ${key} of project ${projectKey}`);
  }

  async create(ctx: RequestContext, projectKey: string, input: Record<string, unknown>): Promise<MetricRecord> {
    const definition = checkedDefinition(String(input.key), input);
    return this.uow.write(async (s) => {
      await requireProject(s, projectKey);
      const now = this.now();
      const record: MetricRecord = { projectKey, definition, version: 1, createdAt: now, updatedAt: now };
      try {
        await s.metrics.insert(record);
      } catch (e) {
        if (e instanceof DuplicateKeyError)
          throw conflict('DUPLICATE_KEY', `metric ${definition.key} already exists in project ${projectKey}`);
        throw e;
      }
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'metric.create',
          entityType: 'metric',
          entityKey: definition.key,
          projectKey,
          after: { ...definition, version: 1 },
        }),
      );
      await republishTracking(s, projectKey, undefined, definition, now);
      return record;
    });
  }

  /** Replaces definition `key` at `expectedVersion` (409 STALE_VERSION when it moved). */
  async update(
    ctx: RequestContext,
    projectKey: string,
    key: string,
    expectedVersion: number,
    input: Record<string, unknown>,
  ): Promise<MetricRecord> {
    refusePolicyKey(key);
    const definition = checkedDefinition(key, input);
    return this.uow.write(async (s) => {
      await requireProject(s, projectKey);
      const before = await s.metrics.get(projectKey, key);
      if (!before) throw notFound(`metric ${key} of project ${projectKey}`);
      if (before.version !== expectedVersion) throw staleVersion(`metric ${key}`, before.version);
      const now = this.now();
      if (!(await s.metrics.update(projectKey, key, expectedVersion, definition, now)))
        throw staleVersion(`metric ${key}`, (await s.metrics.get(projectKey, key))?.version ?? before.version);
      const after: MetricRecord = { ...before, definition, version: expectedVersion + 1, updatedAt: now };
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'metric.update',
          entityType: 'metric',
          entityKey: key,
          projectKey,
          before: { ...before.definition, version: before.version },
          after: { ...definition, version: after.version },
        }),
      );
      await republishTracking(s, projectKey, before.definition, definition, now);
      return after;
    });
  }

  async delete(ctx: RequestContext, projectKey: string, key: string): Promise<void> {
    refusePolicyKey(key);
    await this.uow.write(async (s) => {
      await requireProject(s, projectKey);
      const before = await s.metrics.get(projectKey, key);
      if (!before) throw notFound(`metric ${key} of project ${projectKey}`);
      await s.metrics.delete(projectKey, key);
      const now = this.now();
      await republishTracking(s, projectKey, before.definition, undefined, now);
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'metric.delete',
          entityType: 'metric',
          entityKey: key,
          projectKey,
          before: { ...before.definition, version: before.version },
        }),
      );
    });
  }
}
