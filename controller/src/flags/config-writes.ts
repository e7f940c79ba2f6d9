/**
 * The one way a flag config changes, shared by direct edits, change requests, kills and imports:
 * validate against the model, write conditionally on the version, audit, and leave an outbox row,
 * all on the stores of the caller's transaction.
 */
import { findPrerequisiteCycles, type FlagConfig, type Problem, validateFlagConfig } from '@flagship/evaluator';
import { auditRecord } from '../audit/audit-record.ts';
import type { Stores } from '../db/stores.ts';
import { invalidModel, notFound, staleVersion } from '../errors/domain-errors.ts';
import { joinPath } from '../http/problem-path.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { OutboxKind } from '../outbox/outbox-store.ts';
import type { ConfigRecord, FlagRecord } from './flag-store.ts';

/** Model problems of a proposed config in its environment, with `prefix` on each path. */
export async function configProblems(
  s: Stores,
  flag: FlagRecord,
  environmentId: string,
  input: unknown,
  prefix = '',
  overrides: {
    segments?: ReadonlySet<string>;
    flags?: Map<string, FlagRecord>;
    configs?: Map<string, FlagConfig>;
  } = {},
): Promise<{ problems: Problem[]; config?: FlagConfig }> {
  const segments = overrides.segments ?? new Set((await s.segments.list(environmentId)).map((r) => r.segment.key));
  const checked = validateFlagConfig(input, flag.definition, segments);
  const at = (p: Problem): Problem => ({ path: joinPath(prefix, p.path), message: p.message });
  if (!checked.ok) return { problems: checked.problems.map(at) };
  const config = checked.value;
  const problems: Problem[] = [];
  // Only the flags named as prerequisites are read: listing the project's flags on every write
  // cost ~150 ms of the controller's event loop at 10,000 flags (docs/performance.md).
  const named = new Map<string, FlagRecord | undefined>();
  const prerequisite = async (key: string) => {
    if (overrides.flags !== undefined) return overrides.flags.get(key);
    if (!named.has(key)) named.set(key, await s.flags.get(flag.projectKey, key));
    return named.get(key);
  };
  for (const [i, pre] of config.prerequisites.entries()) {
    const other = await prerequisite(pre.flag);
    if (!other)
      problems.push({
        path: joinPath(prefix, `prerequisites[${i}].flag`),
        message: `no flag ${pre.flag} in project ${flag.projectKey}`,
      });
    else if (!(pre.variant in other.definition.variants))
      problems.push({
        path: joinPath(prefix, `prerequisites[${i}].variant`),
        message: `flag ${pre.flag} has no variant ${pre.variant}`,
      });
  }
  if (config.prerequisites.length > 0 && problems.length === 0) {
    const configs =
      overrides.configs ??
      new Map((await s.configs.listByEnvironment(environmentId)).map((c) => [c.flagKey, c.config]));
    const graph: Record<string, { prerequisites: FlagConfig['prerequisites'] }> = {};
    for (const [k, c] of configs) graph[k] = { prerequisites: c.prerequisites };
    graph[flag.key] = { prerequisites: config.prerequisites };
    for (const cycle of findPrerequisiteCycles(graph)) {
      if (cycle.includes(flag.key))
        problems.push({
          path: joinPath(prefix, 'prerequisites'),
          message: `prerequisite cycle: ${cycle.join(' -> ')}`,
        });
    }
  }
  return problems.length > 0 ? { problems } : { problems, config };
}

export interface ConfigWrite {
  flag: FlagRecord;
  environmentId: string;
  /** The version the change is based on; a different current version is a 409. */
  expectedVersion: number;
  config: FlagConfig;
  action: string;
  reason?: string | null;
  /** Default 'flag-config'; null when the caller writes one coarse row itself (imports). */
  outboxKind?: OutboxKind | null;
  now: string;
}

/** Writes an already-validated config; returns the new record. */
export async function writeConfig(s: Stores, ctx: RequestContext, w: ConfigWrite): Promise<ConfigRecord> {
  const before = await s.configs.getForUpdate(w.environmentId, w.flag.key);
  if (!before) throw notFound(`config of flag ${w.flag.key} in ${w.environmentId}`);
  const what = `config of flag ${w.flag.key} in ${w.environmentId}`;
  if (before.version !== w.expectedVersion) throw staleVersion(what, before.version);
  // The conditional UPDATE decides races the read above cannot (SQLite has no row locks).
  if (!(await s.configs.update(w.environmentId, w.flag.key, w.expectedVersion, w.config, w.now))) {
    throw staleVersion(what, (await s.configs.get(w.environmentId, w.flag.key))?.version ?? before.version + 1);
  }
  const after: ConfigRecord = { ...before, config: w.config, version: w.expectedVersion + 1, updatedAt: w.now };
  await s.audit.append(
    auditRecord(ctx, w.now, {
      action: w.action,
      entityType: 'flag-config',
      entityKey: w.flag.key,
      projectKey: w.flag.projectKey,
      environmentId: w.environmentId,
      flagKey: w.flag.key,
      before: { ...before.config, version: before.version },
      after: { ...w.config, version: after.version },
      reason: w.reason ?? null,
    }),
  );
  if (w.outboxKind !== null) await s.outbox.append(w.environmentId, w.outboxKind ?? 'flag-config', w.flag.key, w.now);
  return after;
}

/** Validates then writes; a failing validation is a 422 and writes nothing. */
export async function validateAndWriteConfig(
  s: Stores,
  ctx: RequestContext,
  w: Omit<ConfigWrite, 'config'> & { input: unknown },
): Promise<ConfigRecord> {
  const current = await s.configs.getForUpdate(w.environmentId, w.flag.key);
  if (!current) throw notFound(`config of flag ${w.flag.key} in ${w.environmentId}`);
  if (current.version !== w.expectedVersion)
    throw staleVersion(`config of flag ${w.flag.key} in ${w.environmentId}`, current.version);
  const { problems, config } = await configProblems(s, w.flag, w.environmentId, w.input);
  if (!config) throw invalidModel(problems, 'the flag config fails validation');
  return writeConfig(s, ctx, { ...w, config });
}
