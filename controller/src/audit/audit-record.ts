import type { RequestContext } from '../http/request-context.ts';
import type { AuditEntry } from './audit-store.ts';
import { jsonDiff } from '@flagship/evaluator';

/**
 * How many entries an audit row's diff keeps. A change of 200,000 entries (a replaced target
 * list) diffed in full is megabytes that repeat `before`/`after` and that no reader scrolls;
 * the first 1,000 show what kind of change it was and the count says how big (docs/api.md).
 */
export const AUDIT_DIFF_LIMIT = 1_000;

export interface AuditFacts {
  action: string;
  entityType: string;
  entityKey: string;
  projectKey?: string | null;
  environmentId?: string | null;
  flagKey?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

/** An audit row for a change made in `ctx`, with its diff computed from before and after. */
export function auditRecord(ctx: RequestContext, at: string, f: AuditFacts): Omit<AuditEntry, 'id'> {
  return {
    at,
    actor: { keyId: ctx.actor.keyId, name: ctx.actor.name, owner: ctx.actor.owner },
    action: f.action,
    entityType: f.entityType,
    entityKey: f.entityKey,
    projectKey: f.projectKey ?? null,
    environmentId: f.environmentId ?? null,
    flagKey: f.flagKey ?? null,
    before: f.before ?? null,
    after: f.after ?? null,
    diff: jsonDiff(f.before ?? null, f.after ?? null, AUDIT_DIFF_LIMIT),
    reason: f.reason ?? null,
    requestId: ctx.requestId,
  };
}
