'use client';
/**
 * "Apply at …" beside the editor's Save: a date and time read in the browser's zone (shown, with
 * the offset it has at that time) and sent with that offset, a comment, and the changes to
 * schedule: the draft config (with the version it was written against), or turning the flag off
 * or on. The API's problems about `at` and `comment` show here; those under `config` the editor
 * shows at its fields.
 */
import { useEffect, useId, useState, useTransition } from 'react';
import type { ApiError, Problem } from '../../lib/admin-api.ts';
import { isoToLocalInput, localToIsoWithOffset, offsetText, zoneOffsetAt } from '../../lib/schedule-time.ts';
import { STATUS_LABEL } from '../../lib/schedule-types.ts';
import { ApiErrorPanel } from '../api-error-panel.tsx';
import type { ScheduleChangeInput, ScheduleOutcome } from './schedule-actions.ts';
import { LocalTime } from './local-time.tsx';

/** The input is pre-filled this far ahead: a time that passes the API's "in the future" check. */
const DEFAULT_LEAD_MS = 15 * 60_000;

export interface ScheduleAtProps {
  environmentName: string;
  requireApproval: boolean;
  disabled: boolean;
  /** The draft differs from the version it was written against (a config can be scheduled). */
  dirty: boolean;
  dirtyCount: number;
  baseVersion: number;
  /** Whether the flag is on now: offers "Turn off at …" or "Turn on at …". */
  enabledNow: boolean;
  submit: (
    at: string,
    comment: string,
    change: 'config' | Extract<ScheduleChangeInput, { kind: 'action' }>,
  ) => Promise<ScheduleOutcome>;
}

export function ScheduleAt(p: ScheduleAtProps) {
  const id = useId();
  const [zone, setZone] = useState<string | null>(null);
  const [local, setLocal] = useState('');
  const [comment, setComment] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<Extract<ScheduleOutcome, { kind: 'scheduled' }> | null>(null);
  const [pending, startTransition] = useTransition();

  // The zone is the browser's: known only once mounted (the server render cannot know it).
  useEffect(() => {
    const z = Intl.DateTimeFormat().resolvedOptions().timeZone;
    setZone(z);
    setLocal((v) => v || isoToLocalInput(Date.now() + DEFAULT_LEAD_MS, z));
  }, []);

  const iso = zone ? localToIsoWithOffset(local, zone) : null;
  const offset = zone && iso ? offsetText(zoneOffsetAt(Date.parse(iso), zone)) : null;
  const atProblem = problems.find((x) => x.path === 'at');
  const commentProblem = problems.find((x) => x.path === 'comment');
  const others = problems.filter((x) => x.path !== 'at' && x.path !== 'comment' && !x.path.startsWith('config'));

  const run = (change: Parameters<ScheduleAtProps['submit']>[2]) => {
    setDone(null);
    setError(null);
    setProblems([]);
    if (!zone || !iso) {
      setProblems([{ path: 'at', message: 'pick a date and a time' }]);
      return;
    }
    startTransition(async () => {
      const o = await p.submit(iso, comment, change);
      if (o.kind === 'scheduled') {
        setDone(o);
        setComment('');
      } else if (o.kind === 'invalid') {
        setProblems(o.problems);
        if (!o.problems.some((x) => x.path === 'at' || x.path === 'comment')) setError(o.error);
      } else setError(o.error);
    });
  };

  const off = p.disabled || pending || !zone;
  return (
    <section className="stack notice" aria-labelledby={`${id}-h`} data-testid="schedule-at">
      <h2 id={`${id}-h`}>Apply at …</h2>
      <p className="hint">
        Schedule the draft, or turning the flag {p.enabledNow ? 'off' : 'on'}, for a later time instead of now.
        {p.requireApproval
          ? ` ${p.environmentName} needs approval: the schedule goes through a change request that another person must approve before its time, or it expires.`
          : ''}
      </p>
      <div className="row">
        <label htmlFor={`${id}-at`}>Apply at</label>
        <input
          id={`${id}-at`}
          type="datetime-local"
          step={1}
          value={local}
          disabled={off}
          aria-invalid={atProblem ? true : undefined}
          aria-describedby={`${id}-zone${atProblem ? ` ${id}-at-problem` : ''}`}
          onChange={(e) => setLocal(e.target.value)}
        />
        <span id={`${id}-zone`} className="muted" data-testid="schedule-zone">
          {zone ? `in ${zone}${offset ? ` (UTC${offset} at that time)` : ''}` : "in your browser's time zone"}
        </span>
      </div>
      {atProblem ? (
        <p id={`${id}-at-problem`} className="error" role="alert">
          {atProblem.message}
        </p>
      ) : null}
      <label htmlFor={`${id}-comment`}>Schedule comment</label>
      <input
        id={`${id}-comment`}
        maxLength={2000}
        value={comment}
        disabled={off}
        aria-invalid={commentProblem ? true : undefined}
        onChange={(e) => setComment(e.target.value)}
      />
      {commentProblem ? (
        <p className="error" role="alert">
          {commentProblem.message}
        </p>
      ) : null}
      <div className="row">
        <button type="button" disabled={off || !p.dirty} onClick={() => run('config')}>
          {pending ? 'Working…' : `Apply the draft at this time`}
        </button>
        <button
          type="button"
          disabled={off}
          onClick={() => run({ kind: 'action', action: p.enabledNow ? 'disable' : 'enable' })}
        >
          {p.enabledNow ? 'Turn off at this time' : 'Turn on at this time'}
        </button>
      </div>
      <p className="hint">
        {p.dirty
          ? `The draft (${p.dirtyCount} ${p.dirtyCount === 1 ? 'change' : 'changes'}) is scheduled against version ${p.baseVersion}: if the config moves past it before then, the schedule is conflicted, not applied.`
          : 'Edit the draft to schedule a config change.'}
      </p>
      <div role="status" aria-live="polite" data-testid="schedule-at-status">
        {done ? (
          <p className="ok">
            Schedule #{done.schedule.id} is {STATUS_LABEL[done.schedule.status]} for{' '}
            <LocalTime iso={done.schedule.at} />
            {done.schedule.changeRequestId ? ` (change request #${done.schedule.changeRequestId})` : ''}.{' '}
            <a href={done.href}>See the flag&apos;s schedules</a>
          </p>
        ) : null}
      </div>
      {others.length > 0 ? (
        <ul className="error">
          {others.map((x, i) => (
            <li key={i}>
              <code>{x.path}</code>: {x.message}
            </li>
          ))}
        </ul>
      ) : null}
      {error ? <ApiErrorPanel error={error} /> : null}
    </section>
  );
}
