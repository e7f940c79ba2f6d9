/**
 * Schedules as a table (the environment's schedules page and a flag's Schedules tab): status chip,
 * the time in the viewer's zone and UTC, author, what it does (a config as a diff against the
 * flag's current config, an action, a rollout), how it ended, and Cancel while it is pending.
 */
import { type FlagConfig, jsonDiff } from '@flagship/evaluator';
import { seg } from '../../lib/admin-api.ts';
import { actionPhrase, isPending, type ScheduleView, STATUS_CLASS, STATUS_LABEL } from '../../lib/schedule-types.ts';
import { DiffTable } from '../diff-table.tsx';
import { CancelSchedule } from './cancel-schedule.tsx';
import { LocalTime } from './local-time.tsx';

export type CurrentConfig = FlagConfig & { version: number };

export function ScheduleChip({ s }: { s: Pick<ScheduleView, 'status'> }) {
  return (
    <span className={STATUS_CLASS[s.status]} data-testid="schedule-status">
      {STATUS_LABEL[s.status]}
    </span>
  );
}

const withoutVersion = (c: CurrentConfig): FlagConfig => {
  const { version: _v, ...rest } = c;
  return rest;
};

/** What it does; for a config, the diff against the current config (when it could be read). */
function What({ s, current }: { s: ScheduleView; current: CurrentConfig | undefined }) {
  if (s.kind !== 'config' || !s.config) return <>{actionPhrase(s)}</>;
  const moved = current !== undefined && s.baseVersion !== undefined && current.version !== s.baseVersion;
  return (
    <div className="stack">
      <span>{actionPhrase(s)}</span>
      {isPending(s.status) && moved ? (
        <span className="warn" data-testid="schedule-base-moved">
          The config is at version {current.version} now: at its time this will be conflicted, not applied.
        </span>
      ) : null}
      {current ? (
        <details>
          <summary>
            {isPending(s.status) ? 'What it changes' : 'Its config'} against the current (version {current.version})
          </summary>
          <DiffTable
            entries={jsonDiff(withoutVersion(current), s.config)}
            caption={`Schedule #${s.id}: current config (version ${current.version}) → scheduled config`}
          />
        </details>
      ) : null}
    </div>
  );
}

function Outcome({ s }: { s: ScheduleView }) {
  const parts: string[] = [];
  if (s.status === 'applied' && s.appliedVersion !== null) parts.push(`wrote version ${s.appliedVersion}`);
  if (s.outcome) parts.push(s.outcome);
  if (s.approvedBy) parts.push(`approved by ${s.approvedBy.owner}`);
  return (
    <span data-testid="schedule-outcome">
      {parts.length > 0 ? parts.join('; ') : <span className="muted">—</span>}
      {s.rolloutId !== null ? (
        <>
          {' '}
          <a href={`/rollouts/${s.rolloutId}`}>rollout #{s.rolloutId}</a>
        </>
      ) : null}
    </span>
  );
}

export function ScheduleTable(p: {
  items: ScheduleView[];
  caption: string;
  /** `project/env` base path of the page: links to flags and change requests. */
  envPath: string;
  showFlag: boolean;
  /** The flags' current configs in this environment, by flag key (for config diffs). */
  current: Map<string, CurrentConfig>;
  /** Why this person may not cancel here; undefined = may. */
  cancelBlocked: string | undefined;
}) {
  return (
    <table data-testid="schedule-list">
      <caption>{p.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Schedule</th>
          <th scope="col">Status</th>
          <th scope="col">At</th>
          {p.showFlag ? <th scope="col">Flag</th> : null}
          <th scope="col">What</th>
          <th scope="col">Author</th>
          <th scope="col">Comment</th>
          <th scope="col">Outcome</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {p.items.map((s) => (
          <tr key={s.id} data-schedule={String(s.id)}>
            <td>#{s.id}</td>
            <td>
              <ScheduleChip s={s} />
              {s.changeRequestId ? (
                <>
                  {' '}
                  <a href={`${p.envPath}/change-requests/${seg(s.changeRequestId)}`}>request #{s.changeRequestId}</a>
                </>
              ) : null}
            </td>
            <td>
              <LocalTime iso={s.at} />
            </td>
            {p.showFlag ? (
              <td>
                <a href={`${p.envPath}/flags/${seg(s.flag)}`}>
                  <code>{s.flag}</code>
                </a>
              </td>
            ) : null}
            <td>
              <What s={s} current={p.current.get(s.flag)} />
            </td>
            <td>
              {s.author.owner} <span className="muted">(key “{s.author.name}”)</span>
            </td>
            <td>{s.comment || <span className="muted">—</span>}</td>
            <td>
              <Outcome s={s} />
            </td>
            <td>
              {isPending(s.status) ? (
                <CancelSchedule
                  id={s.id}
                  what={actionPhrase(s)}
                  {...(p.cancelBlocked ? { disabledReason: p.cancelBlocked } : {})}
                />
              ) : (
                <span className="muted">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
