/**
 * Flags-as-code: an environment as one document (flags with this environment's config, and its
 * segments). Import is declarative and all-or-nothing: flags the document does not list are
 * archived, segments it does not list are deleted; every problem is reported at once (422) and
 * nothing is written unless everything is valid. A dry run computes the same diff and writes nothing.
 */
import {
  findPrerequisiteCycles,
  type Flag,
  type FlagConfig,
  generateSalt,
  type Problem,
  type Segment,
  validateFlag,
  validateSegment,
} from '@flagship/evaluator';
import { type AuditFacts, auditRecord } from '../audit/audit-record.ts';
import type { Stores } from '../db/stores.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import { configProblems, writeConfig } from '../flags/config-writes.ts';
import { fieldPath, joinPath } from '../http/problem-path.ts';
import { defaultConfig } from '../flags/default-config.ts';
import type { FlagRecord } from '../flags/flag-store.ts';
import { conflict, invalidModel } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import { shapeProblems } from '../http/shape.ts';
import { assessChange, type ChangePart, enforceImpact } from '../auth/change-impact.ts';
import { canonicalJson } from './canonical-json.ts';

export const DOCUMENT_FORMAT = 'flagship/v1';

export interface EnvironmentDocument {
  format: typeof DOCUMENT_FORMAT;
  environment: string;
  flags: Record<string, Omit<Flag, 'key'> & { config: FlagConfig }>;
  segments: Record<string, Omit<Segment, 'key' | 'version'>>;
}

export type FlagChange = 'created' | 'updated' | 'unchanged' | 'archived';
export type SegmentChange = 'created' | 'updated' | 'unchanged' | 'deleted';

export interface ImportResult {
  dryRun: boolean;
  environment: string;
  flags: Record<string, FlagChange>;
  segments: Record<string, SegmentChange>;
  summary: { flags: Record<FlagChange, number>; segments: Record<SegmentChange, number> };
  /**
   * What applying it needs (change-impact.ts): `projectWide` lists the parts that need a key
   * without an environment list; `approval` the approval-required environments it changes.
   */
  needs: { projectWide: string[]; approval: string[] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface PlannedFlag {
  key: string;
  definition: Flag;
  config: FlagConfig;
  existing?: FlagRecord;
  change: FlagChange;
  definitionChanged: boolean;
  configChanged: boolean;
}
interface PlannedSegment {
  key: string;
  segment: Segment;
  existing?: Segment;
  change: SegmentChange;
}

export class FlagsAsCodeService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly now: () => string,
  ) {}

  async export(projectKey: string, envKey: string): Promise<EnvironmentDocument> {
    return this.uow.read(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const configs = new Map((await s.configs.listByEnvironment(env.id)).map((c) => [c.flagKey, c.config]));
      const doc: EnvironmentDocument = { format: DOCUMENT_FORMAT, environment: env.id, flags: {}, segments: {} };
      for (const f of await s.flags.listAll(projectKey)) {
        const config = configs.get(f.key);
        if (f.archived || !config) continue;
        const { key: _k, ...definition } = f.definition;
        doc.flags[f.key] = { ...definition, config };
      }
      for (const r of await s.segments.list(env.id)) {
        const { key: _k, version: _v, ...segment } = r.segment;
        doc.segments[r.segment.key] = segment;
      }
      return doc;
    });
  }

  async import(
    ctx: RequestContext,
    projectKey: string,
    envKey: string,
    document: unknown,
    dryRun: boolean,
  ): Promise<ImportResult> {
    const work = async (s: Stores) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const problems: Problem[] = shapeProblems(document, {
        format: { type: 'string', oneOf: [DOCUMENT_FORMAT] },
        environment: { type: 'string' },
        flags: { type: 'object', required: true },
        segments: { type: 'object' },
      });
      if (problems.length > 0) throw invalidModel(problems, 'the document is malformed');
      const doc = document as {
        environment?: string;
        flags: Record<string, unknown>;
        segments?: Record<string, unknown>;
      };
      if (doc.environment !== undefined && doc.environment !== env.id) {
        throw invalidModel([{ path: 'environment', message: `the document is for ${doc.environment}, not ${env.id}` }]);
      }
      const existingFlags = new Map((await s.flags.listAll(projectKey)).map((f) => [f.key, f]));
      const existingConfigs = new Map((await s.configs.listByEnvironment(env.id)).map((c) => [c.flagKey, c]));
      const existingSegments = new Map((await s.segments.list(env.id)).map((r) => [r.segment.key, r.segment]));

      // Segments first: configs are checked against the segment set the import leaves behind.
      const segments: PlannedSegment[] = [];
      for (const [key, raw] of Object.entries(doc.segments ?? {})) {
        const path = fieldPath('segments', key);
        if (!isObject(raw)) {
          problems.push({ path, message: 'must be an object' });
          continue;
        }
        const existing = existingSegments.get(key);
        const checked = validateSegment({
          included: [],
          excluded: [],
          rules: [],
          ...raw,
          key,
          version: existing?.version ?? 1,
        });
        if (!checked.ok) {
          problems.push(...checked.problems.map((p) => ({ path: joinPath(path, p.path), message: p.message })));
          continue;
        }
        const change: SegmentChange = !existing
          ? 'created'
          : canonicalJson(existing) === canonicalJson(checked.value)
            ? 'unchanged'
            : 'updated';
        segments.push({ key, segment: checked.value, ...(existing ? { existing } : {}), change });
      }
      const segmentKeys = new Set(Object.keys(doc.segments ?? {}));

      const flags: PlannedFlag[] = [];
      const newRecords = new Map<string, FlagRecord>();
      for (const [key, raw] of Object.entries(doc.flags)) {
        const path = fieldPath('flags', key);
        if (!isObject(raw)) {
          problems.push({ path, message: 'must be an object' });
          continue;
        }
        const { config, ...definitionInput } = raw;
        const existing = existingFlags.get(key);
        const checked = validateFlag({
          ...definitionInput,
          key,
          salt: definitionInput.salt ?? existing?.definition.salt ?? generateSalt(),
        });
        if (!checked.ok) {
          problems.push(...checked.problems.map((p) => ({ path: joinPath(path, p.path), message: p.message })));
          continue;
        }
        if (existing && existing.definition.type !== checked.value.type) {
          problems.push({
            path: `${path}.type`,
            message: `a flag's type cannot change (it is ${existing.definition.type})`,
          });
          continue;
        }
        if (config === undefined) {
          problems.push({ path: `${path}.config`, message: 'is required' });
          continue;
        }
        const record: FlagRecord = existing
          ? { ...existing, definition: checked.value }
          : { projectKey, key, definition: checked.value, archived: false, version: 1, createdAt: '', updatedAt: '' };
        newRecords.set(key, record);
        flags.push({
          key,
          definition: checked.value,
          config: config as FlagConfig,
          ...(existing ? { existing } : {}),
          change: 'unchanged',
          definitionChanged: false,
          configChanged: false,
        });
      }
      // Configs, with prerequisites resolved against the flags the import leaves live.
      // Each config alone first (raw input may be anything), then cycles across the valid ones.
      const newConfigs = new Map<string, FlagConfig>();
      for (const f of flags) {
        const r = await configProblems(
          s,
          newRecords.get(f.key)!,
          env.id,
          f.config,
          `${fieldPath('flags', f.key)}.config`,
          { segments: segmentKeys, flags: newRecords, configs: new Map() },
        );
        if (!r.config) {
          problems.push(...r.problems);
          continue;
        }
        f.config = r.config;
        newConfigs.set(f.key, r.config);
      }
      const graph = Object.fromEntries([...newConfigs].map(([k, c]) => [k, { prerequisites: c.prerequisites }]));
      for (const cycle of findPrerequisiteCycles(graph)) {
        problems.push({
          path: `${fieldPath('flags', cycle[0]!)}.config.prerequisites`,
          message: `prerequisite cycle: ${cycle.join(' -> ')}`,
        });
      }
      // A definition is shared by every environment: its other configs must stay valid.
      const others = (await s.environments.listByProject(projectKey)).filter((e) => e.id !== env.id);
      for (const f of flags) {
        if (!f.existing || canonicalJson(f.existing.definition) === canonicalJson(f.definition)) continue;
        for (const other of others) {
          const c = await s.configs.get(other.id, f.key);
          if (!c) continue;
          const r = await configProblems(s, newRecords.get(f.key)!, other.id, c.config, fieldPath('flags', f.key));
          problems.push(
            ...r.problems.map((p) => ({ path: p.path, message: `in environment ${other.id}: ${p.message}` })),
          );
        }
      }
      for (const key of existingSegments.keys()) {
        if (segmentKeys.has(key)) continue;
        for (const [flagKey, c] of newConfigs) {
          if (
            c.rules.some((r) =>
              r.conditions.some((x) => (x.op === 'inSegment' || x.op === 'notInSegment') && x.values.includes(key)),
            )
          ) {
            problems.push({ path: fieldPath('segments', key), message: `missing, but flag ${flagKey} uses it` });
          }
        }
      }
      if (problems.length > 0)
        throw invalidModel(problems, `the import has ${problems.length} problem(s); nothing was changed`);

      for (const f of flags) {
        const cur = existingConfigs.get(f.key);
        f.definitionChanged =
          !f.existing || f.existing.archived || canonicalJson(f.existing.definition) !== canonicalJson(f.definition);
        f.configChanged = !cur || canonicalJson(cur.config) !== canonicalJson(f.config);
        f.change = !f.existing ? 'created' : f.definitionChanged || f.configChanged ? 'updated' : 'unchanged';
      }
      const archived = [...existingFlags.values()].filter((f) => !f.archived && !newRecords.has(f.key));
      const deleted = [...existingSegments.keys()].filter((k) => !segmentKeys.has(k));
      // The import is the union of its parts: a definition, archive or creation is project-wide.
      const parts: ChangePart[] = [];
      for (const sg of segments)
        if (sg.change !== 'unchanged') parts.push({ kind: 'segment', environmentId: env.id, segmentKey: sg.key });
      for (const k of deleted) parts.push({ kind: 'segment', environmentId: env.id, segmentKey: k });
      for (const f of flags) {
        if (!f.existing) parts.push({ kind: 'create', flagKey: f.key });
        else {
          if (f.existing.archived) parts.push({ kind: 'unarchive', flagKey: f.key });
          if (canonicalJson(f.existing.definition) !== canonicalJson(f.definition))
            parts.push({ kind: 'definition', flagKey: f.key });
        }
        if (f.configChanged) parts.push({ kind: 'config', environmentId: env.id, flagKey: f.key });
      }
      for (const f of archived) parts.push({ kind: 'archive', flagKey: f.key });
      const impact = await assessChange(s, projectKey, parts);
      const result: ImportResult = {
        dryRun,
        environment: env.id,
        flags: {},
        segments: {},
        summary: {
          flags: { created: 0, updated: 0, unchanged: 0, archived: 0 },
          segments: { created: 0, updated: 0, unchanged: 0, deleted: 0 },
        },
        needs: { projectWide: impact.projectWide, approval: impact.approval.map((a) => a.environmentId) },
      };
      const noteFlag = (k: string, c: FlagChange) => {
        result.flags[k] = c;
        result.summary.flags[c]++;
      };
      const noteSegment = (k: string, c: SegmentChange) => {
        result.segments[k] = c;
        result.summary.segments[c]++;
      };
      for (const f of flags) noteFlag(f.key, f.change);
      for (const f of archived) noteFlag(f.key, 'archived');
      for (const sg of segments) noteSegment(sg.key, sg.change);
      for (const k of deleted) noteSegment(k, 'deleted');
      if (dryRun) return result;
      enforceImpact(ctx.actor, impact, { kind: 'config, definition, archive or unarchive, one per flag' });

      const now = this.now();
      const audit = (facts: Omit<AuditFacts, 'action' | 'projectKey'>) =>
        s.audit.append(auditRecord(ctx, now, { ...facts, action: 'import', projectKey }));
      let projectWide = false;
      for (const sg of segments) {
        if (sg.change === 'created') {
          await s.segments.insert({
            environmentId: env.id,
            segment: { ...sg.segment, version: 1 },
            createdAt: now,
            updatedAt: now,
          });
          await audit({
            entityType: 'segment',
            entityKey: sg.key,
            environmentId: env.id,
            after: { ...sg.segment, version: 1 },
          });
        } else if (sg.change === 'updated') {
          const next = { ...sg.segment, version: sg.existing!.version + 1 };
          if (!(await s.segments.update(env.id, sg.key, sg.existing!.version, next, now)))
            throw conflict('STALE_VERSION', `segment ${sg.key} changed during the import`);
          await audit({
            entityType: 'segment',
            entityKey: sg.key,
            environmentId: env.id,
            before: sg.existing,
            after: next,
          });
        }
      }
      for (const f of flags) {
        if (f.change === 'created') {
          projectWide = true;
          await s.flags.insert({
            projectKey,
            key: f.key,
            definition: f.definition,
            archived: false,
            version: 1,
            createdAt: now,
            updatedAt: now,
          });
          await s.configs.insert({
            environmentId: env.id,
            projectKey,
            flagKey: f.key,
            config: f.config,
            version: 1,
            updatedAt: now,
          });
          for (const other of others)
            await s.configs.insert({
              environmentId: other.id,
              projectKey,
              flagKey: f.key,
              config: defaultConfig(f.definition),
              version: 1,
              updatedAt: now,
            });
          await audit({
            entityType: 'flag',
            entityKey: f.key,
            environmentId: env.id,
            flagKey: f.key,
            after: { ...f.definition, archived: false, version: 1, config: { ...f.config, version: 1 } },
          });
          continue;
        }
        const ex = f.existing!;
        if (f.definitionChanged) {
          projectWide = true;
          if (
            !(await s.flags.update(projectKey, f.key, ex.version, { definition: f.definition, archived: false }, now))
          )
            throw conflict('STALE_VERSION', `flag ${f.key} changed during the import`);
          await audit({
            entityType: 'flag',
            entityKey: f.key,
            flagKey: f.key,
            before: { ...ex.definition, archived: ex.archived, version: ex.version },
            after: { ...f.definition, archived: false, version: ex.version + 1 },
          });
        }
        if (f.configChanged) {
          const cur = existingConfigs.get(f.key)!;
          await writeConfig(s, ctx, {
            flag: { ...ex, definition: f.definition },
            environmentId: env.id,
            expectedVersion: cur.version,
            config: f.config,
            action: 'import',
            outboxKind: null,
            now,
          });
        }
      }
      for (const f of archived) {
        projectWide = true;
        if (!(await s.flags.update(projectKey, f.key, f.version, { definition: f.definition, archived: true }, now)))
          throw conflict('STALE_VERSION', `flag ${f.key} changed during the import`);
        await audit({
          entityType: 'flag',
          entityKey: f.key,
          flagKey: f.key,
          before: { archived: false, version: f.version },
          after: { archived: true, version: f.version + 1 },
        });
      }
      for (const k of deleted) {
        await s.segments.delete(env.id, k);
        await audit({ entityType: 'segment', entityKey: k, environmentId: env.id, before: existingSegments.get(k) });
      }
      // One coarse row per affected environment: the publisher rebuilds it whole.
      const changedHere =
        flags.some((f) => f.change !== 'unchanged') ||
        archived.length > 0 ||
        segments.some((x) => x.change !== 'unchanged') ||
        deleted.length > 0;
      if (changedHere) await s.outbox.append(env.id, 'environment', null, now);
      if (projectWide) for (const other of others) await s.outbox.append(other.id, 'environment', null, now);
      return result;
    };
    // A dry run reads in a transaction too (a consistent view) and always rolls back.
    return dryRun ? this.uow.read(work) : this.uow.write(work);
  }
}
