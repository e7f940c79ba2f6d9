/**
 * One audit log entry as the audit log and a flag's history show it: who (the person, the key),
 * what (action, entity, environment), when, why (reason or comment) and only what changed (the
 * entry's diff: path, old -> new). Every API-provided string is rendered as text.
 */
import type { DiffEntry } from '@flagship/evaluator';
import { DiffTable } from '../diff-table.tsx';
import styles from './audit-entry.module.css';

/** An entry of GET /api/v1/audit (docs/api.md "Audit log"). */
export interface AuditEntry {
  id: string;
  at: string;
  actor: { keyId: string; name: string; owner?: string };
  action: string;
  entityType: string;
  entityKey: string;
  projectKey: string | null;
  environmentId: string | null;
  flagKey: string | null;
  diff: DiffEntry[];
  reason: string | null;
  requestId: string | null;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

/** The actions docs/api.md lists, for the filter. */
export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'archive',
  'unarchive',
  'kill',
  'import',
  'apply',
  'approve',
  'reject',
  'cancel',
  'change-request.create',
  'key.create',
  'key.update',
  'key.revoke',
  'webhook.create',
  'webhook.delete',
] as const;

/** `2025-12-02T14:17:03.123Z` as `2025-12-02 14:17:03 UTC` (the ISO time stays in dateTime). */
export function readableTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

const enc = encodeURIComponent;

/** The flag's history page of an entry about a flag in an environment (`project.env`), if it is one. */
export function historyHref(e: Pick<AuditEntry, 'projectKey' | 'environmentId' | 'flagKey'>): string | undefined {
  if (!e.projectKey || !e.environmentId || !e.flagKey) return undefined;
  const prefix = `${e.projectKey}.`;
  if (!e.environmentId.startsWith(prefix)) return undefined;
  const env = e.environmentId.slice(prefix.length);
  return `/projects/${enc(e.projectKey)}/environments/${enc(env)}/flags/${enc(e.flagKey)}/history`;
}

export function AuditEntryView({ entry: e, links = true }: { entry: AuditEntry; links?: boolean }) {
  const titleId = `audit-${e.id}`;
  const href = links ? historyHref(e) : undefined;
  return (
    <article aria-labelledby={titleId} className={styles.entry} data-testid="audit-entry" data-action={e.action}>
      <h2 id={titleId}>
        <span className={e.action === 'kill' ? 'badge danger' : 'badge'} data-testid="audit-action">
          {e.action}
        </span>{' '}
        <span data-testid="audit-what">
          {e.entityType} <code>{e.entityKey}</code>
          {e.environmentId ? (
            <>
              {' '}
              in <code>{e.environmentId}</code>
            </>
          ) : e.projectKey ? (
            <>
              {' '}
              in project <code>{e.projectKey}</code>
            </>
          ) : null}
        </span>
      </h2>
      <dl className={styles.facts}>
        <dt>Who</dt>
        <dd data-testid="audit-who">
          {e.actor.owner ? <strong>{e.actor.owner}</strong> : null}
          {e.actor.owner ? ' with key ' : 'key '}
          {e.actor.name} <span className="muted">({e.actor.keyId})</span>
        </dd>
        <dt>When</dt>
        <dd>
          <time dateTime={e.at}>{readableTime(e.at)}</time>
        </dd>
        <dt>Why</dt>
        <dd data-testid="audit-why">{e.reason ? e.reason : <span className="muted">no reason given</span>}</dd>
      </dl>
      {href ? (
        <p>
          <a href={href}>
            History of {e.flagKey} in {e.environmentId}
          </a>
        </p>
      ) : null}
      <DiffTable entries={e.diff} caption={`What changed (${e.action} ${e.entityType} ${e.entityKey})`} />
      {e.requestId ? <p className="hint">Request {e.requestId}</p> : null}
    </article>
  );
}

/** Entries newest first, as the API answered them. */
export function AuditEntries({ items, links = true }: { items: AuditEntry[]; links?: boolean }) {
  if (items.length === 0) return <p data-testid="audit-empty">No audit entries match.</p>;
  return (
    <ol className={styles.list} data-testid="audit-entries">
      {items.map((e) => (
        <li key={e.id}>
          <AuditEntryView entry={e} links={links} />
        </li>
      ))}
    </ol>
  );
}
