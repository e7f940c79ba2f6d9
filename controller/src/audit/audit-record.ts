import type { RequestContext } from '../http/request-context.ts';
import type { AuditEntry } from './audit-store.ts';
import { AUDIT_DIFF_LIMIT, jsonDiff } from './json-diff.ts';

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
