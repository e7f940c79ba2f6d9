/**
 * The audit log's filters as a plain GET form (works without scripts; the URL is the state).
 */
import { AUDIT_ACTIONS } from '../../components/audit/audit-entry.tsx';
import { type AuditFilters, toLocalInput } from './filters.ts';
import styles from './audit.module.css';

export interface KeyOption {
  id: string;
  name: string;
  owner: string;
  revoked: boolean;
}

export interface FilterOptions {
  /** Projects the key can read (null: the list could not be read, a text field instead). */
  projects: Array<{ key: string; name: string }> | null;
  /** Environment ids (`project.env`) to offer. */
  environments: string[];
  /** The key must filter by one of its environments (it is limited to some). */
  environmentRequired: boolean;
  /** API keys to pick the actor from (admins), or null: a text field for a key id. */
  keys: KeyOption[] | null;
}

/** The options of a select, plus the current value when the list does not have it (so the form shows it). */
function withCurrent(options: string[], current: string | undefined): string[] {
  return current && !options.includes(current) ? [...options, current] : options;
}

export function AuditFiltersForm({ filters: f, options: o }: { filters: AuditFilters; options: FilterOptions }) {
  const envs = withCurrent(o.environments, f.environment);
  const actions = withCurrent([...AUDIT_ACTIONS], f.action);
  const projectKeys = o.projects
    ? withCurrent(
        o.projects.map((p) => p.key),
        f.project,
      )
    : [];
  const keyIds = o.keys
    ? withCurrent(
        o.keys.map((k) => k.id),
        f.actor,
      )
    : [];
  return (
    <form method="get" action="/audit" role="search" aria-label="Filter the audit log" className={styles.filters}>
      <div className="stack">
        <label htmlFor="f-project">Project</label>
        {o.projects ? (
          <select id="f-project" name="project" defaultValue={f.project ?? ''}>
            <option value="">any project</option>
            {projectKeys.map((k) => {
              const p = o.projects!.find((x) => x.key === k);
              return (
                <option key={k} value={k}>
                  {p ? `${p.name} (${p.key})` : k}
                </option>
              );
            })}
          </select>
        ) : (
          <input id="f-project" name="project" defaultValue={f.project ?? ''} />
        )}
      </div>
      <div className="stack">
        <label htmlFor="f-environment">Environment</label>
        <select
          id="f-environment"
          name="environment"
          defaultValue={f.environment ?? ''}
          aria-describedby={o.environmentRequired ? 'f-environment-hint' : undefined}
        >
          <option value="">{o.environmentRequired ? 'choose one of yours' : 'any environment'}</option>
          {envs.map((e) => (
            <option key={e} value={e}>
              {e}
            </option>
          ))}
        </select>
        {o.environmentRequired ? (
          <p id="f-environment-hint" className="hint">
            Your key is limited to environments: the log is read one of them at a time.
          </p>
        ) : null}
      </div>
      <div className="stack">
        <label htmlFor="f-flag">Flag</label>
        <input id="f-flag" name="flag" defaultValue={f.flag ?? ''} autoComplete="off" spellCheck={false} />
      </div>
      <div className="stack">
        <label htmlFor="f-actor">Actor</label>
        {o.keys ? (
          <select id="f-actor" name="actor" defaultValue={f.actor ?? ''}>
            <option value="">anyone</option>
            {keyIds.map((id) => {
              const k = o.keys!.find((x) => x.id === id);
              return (
                <option key={id} value={id}>
                  {k ? `${k.owner}: ${k.name} (key ${k.id}${k.revoked ? ', revoked' : ''})` : `key ${id}`}
                </option>
              );
            })}
          </select>
        ) : (
          <>
            <input
              id="f-actor"
              name="actor"
              defaultValue={f.actor ?? ''}
              inputMode="numeric"
              autoComplete="off"
              aria-describedby="f-actor-hint"
            />
            <p id="f-actor-hint" className="hint">
              A key id (shown in each entry).
            </p>
          </>
        )}
      </div>
      <div className="stack">
        <label htmlFor="f-action">Action</label>
        <select id="f-action" name="action" defaultValue={f.action ?? ''}>
          <option value="">any action</option>
          {actions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <div className="stack">
        <label htmlFor="f-from">From (UTC)</label>
        <input id="f-from" name="from" type="datetime-local" step={1} defaultValue={toLocalInput(f.from)} />
      </div>
      <div className="stack">
        <label htmlFor="f-to">To (UTC)</label>
        <input id="f-to" name="to" type="datetime-local" step={1} defaultValue={toLocalInput(f.to)} />
      </div>
      <div className={`row ${styles.buttons}`}>
        <button type="submit" className="primary">
          Apply filters
        </button>
        <a href="/audit">Clear filters</a>
      </div>
    </form>
  );
}
