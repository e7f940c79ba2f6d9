/**
 * A change request as the API answers it, and what its page compares: which thing it changes,
 * where the current version of that thing is read, and the two documents of "base and proposal".
 * Pure functions (unit-tested).
 */
export type CrStatus = 'pending' | 'applied' | 'rejected' | 'cancelled';
export const STATUSES: readonly CrStatus[] = ['pending', 'applied', 'rejected', 'cancelled'];

export interface ChangeRequest {
  id: string | number;
  environmentId: string;
  projectKey: string;
  flagKey?: string;
  kind: string;
  config?: unknown;
  definition?: unknown;
  rollout?: { policy: string; treatment: string; control: string; reason: string | null };
  rolloutId?: number;
  reason?: string | null;
  segment?: { action: 'create' | 'update' | 'delete'; key: string; segment?: Record<string, unknown> };
  /** kind `schedule`: when and what (a config change's config is in `config`). */
  schedule?: {
    at: string;
    kind: 'config' | 'action' | 'rollout';
    action?: 'enable' | 'disable';
    rollout?: { policy: string; treatment: string; control: string };
  };
  baseVersion: number;
  comment: string;
  status: CrStatus;
  author: { keyId: string; name: string; owner: string };
  reviews: Array<{ keyId: string; name: string; owner?: string; decision: string; comment: string; at: string }>;
  appliedVersion: number | null;
  createdAt: string;
  updatedAt: string;
}

/** "flag checkout" / "segment beta" / "rollout 4": what the request is about, for the list. */
export function subjectOf(cr: ChangeRequest): { kind: 'flag' | 'segment' | 'rollout'; key: string } {
  if (cr.kind === 'segment' && cr.segment) return { kind: 'segment', key: cr.segment.key };
  if (cr.kind === 'rollout-retry' && cr.rolloutId !== undefined) return { kind: 'rollout', key: String(cr.rolloutId) };
  return { kind: 'flag', key: cr.flagKey ?? '' };
}

/** What the request changes, in words: "the config of flag checkout", "segment beta". */
export function thingOf(cr: ChangeRequest): string {
  const s = subjectOf(cr);
  switch (cr.kind) {
    case 'config':
    case 'rollout-start':
    case 'schedule':
      return `the config of flag ${s.key}`;
    case 'definition':
    case 'archive':
    case 'unarchive':
      return `flag ${s.key}`;
    case 'rollout-retry':
      return `rollout ${s.key}`;
    case 'segment':
      return `segment ${s.key}`;
    default:
      return `${cr.kind} ${s.key}`;
  }
}

/** What the request proposes, in one phrase: "create", "update", "delete", "archive", "start a rollout". */
export function actionOf(cr: ChangeRequest): string {
  if (cr.kind === 'segment') return cr.segment?.action ?? 'segment';
  if (cr.kind === 'config') return 'change config';
  if (cr.kind === 'definition') return 'change definition';
  if (cr.kind === 'rollout-start') return 'start a rollout';
  if (cr.kind === 'rollout-retry') return 'retry a rollout';
  if (cr.kind === 'schedule') {
    const k = cr.schedule?.kind;
    const what =
      k === 'action'
        ? cr.schedule?.action === 'enable'
          ? 'turn on'
          : 'turn off'
        : k === 'rollout'
          ? 'start a rollout'
          : 'change config';
    return `schedule: ${what} at ${cr.schedule ? utc(cr.schedule.at) : 'its time'}`;
  }
  return cr.kind;
}

const utc = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

/**
 * The status in words. A schedule request's `applied` means approved: the change itself is made
 * at its time by the workers (docs/api.md "Schedules"), so it says "approved, applies at …".
 */
export function statusText(cr: ChangeRequest): string {
  if (cr.kind === 'schedule' && cr.status === 'applied')
    return `approved, applies at ${cr.schedule ? utc(cr.schedule.at) : 'its time'}`;
  return cr.status;
}

const enc = encodeURIComponent;

/**
 * The admin API path of the thing's current version (relative to /api/v1), given the
 * environment's base path `/projects/p/environments/e`.
 */
export function currentPathOf(cr: ChangeRequest, project: string, envBase: string): string | undefined {
  const s = subjectOf(cr);
  switch (cr.kind) {
    case 'config':
    case 'rollout-start':
    case 'schedule':
      return `${envBase}/flags/${enc(s.key)}`;
    case 'definition':
    case 'archive':
    case 'unarchive':
      return `/projects/${enc(project)}/flags/${enc(s.key)}`;
    case 'rollout-retry':
      return `/rollouts/${enc(s.key)}`;
    case 'segment':
      return `${envBase}/segments/${enc(s.key)}`;
    default:
      return undefined;
  }
}

const without = (v: unknown, keys: string[]): unknown => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !keys.includes(k)));
};

const archivedOf = (v: unknown): boolean | null => {
  const a = (v as { archived?: unknown } | null)?.archived;
  return typeof a === 'boolean' ? a : null;
};

const enabledOf = (v: unknown): boolean | null => {
  const e = (v as { enabled?: unknown } | null)?.enabled;
  return typeof e === 'boolean' ? e : null;
};

/** Fields of the current documents that are bookkeeping, not the change (left out of the diff). */
const BOOKKEEPING = ['version', 'createdAt', 'updatedAt', 'usedBy'];

/**
 * The two documents "base and proposal" compares: the current one (null = does not exist, as
 * for a segment create) and the proposed one (null = deleted), each without bookkeeping fields.
 * `current` is what the API answered for currentPathOf (undefined when it answered 404).
 */
export function comparison(cr: ChangeRequest, current: unknown): { current: unknown; proposal: unknown } {
  const cur = current === undefined ? null : current;
  switch (cr.kind) {
    case 'config':
      return { current: without(cur, BOOKKEEPING), proposal: cr.config ?? null };
    case 'definition':
      return { current: without(cur, [...BOOKKEEPING, 'archived']), proposal: without(cr.definition, BOOKKEEPING) };
    case 'archive':
    case 'unarchive':
      return {
        current: { archived: archivedOf(cur) },
        proposal: { archived: cr.kind === 'archive' },
      };
    case 'segment': {
      const proposed = cr.segment?.action === 'delete' ? null : (cr.segment?.segment ?? null);
      return { current: without(cur, BOOKKEEPING), proposal: without(proposed, ['version']) };
    }
    case 'rollout-start':
      return { current: without(cur, BOOKKEEPING), proposal: { rollout: cr.rollout } };
    case 'schedule': {
      const k = cr.schedule?.kind;
      if (k === 'action') {
        return {
          current: { enabled: enabledOf(cur) },
          proposal: { enabled: cr.schedule?.action === 'enable' },
        };
      }
      if (k === 'rollout') return { current: { rollout: null }, proposal: { rollout: cr.schedule?.rollout ?? null } };
      return { current: without(cur, BOOKKEEPING), proposal: cr.config ?? null };
    }
    default:
      return { current: without(cur, BOOKKEEPING), proposal: null };
  }
}

/** The current version of the thing: its `version`, 0 when it does not exist (a segment not created yet). */
export function currentVersionOf(current: unknown): number {
  const v = (current as { version?: unknown } | null | undefined)?.version;
  return typeof v === 'number' ? v : 0;
}
