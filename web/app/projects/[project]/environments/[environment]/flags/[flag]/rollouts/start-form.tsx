'use client';
/**
 * The start form: a policy (its steps, metrics and thresholds shown as it is picked), the
 * treatment and the control. A refusal (an active rollout, a disabled flag, an approval-required
 * environment) is shown as the API says it. "Start at …" schedules the same start for a later
 * time (the time read in the browser's zone and sent with its offset).
 */
import { useActionState, useEffect, useState } from 'react';
import { ApiErrorPanel } from '../../../../../../../../components/api-error-panel.tsx';
import { LocalTime } from '../../../../../../../../components/schedule/local-time.tsx';
import {
  type RolloutScheduleState,
  scheduleRolloutStart,
} from '../../../../../../../../components/schedule/schedule-actions.ts';
import { localToIsoWithOffset } from '../../../../../../../../lib/schedule-time.ts';
import type { PolicyView } from '../../../../../../../../lib/rollout-types.ts';
import { type StartState, startRollout } from './actions.ts';

const secs = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

export function PolicySummary({ p }: { p: PolicyView }) {
  return (
    <div className="stack" data-testid="policy-summary">
      {p.description ? <p>{p.description}</p> : null}
      <table>
        <caption>Steps of {p.name}</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Treatment weight</th>
            <th scope="col">Holds at least</th>
            <th scope="col">Samples per arm</th>
            <th scope="col">At most</th>
            <th scope="col">Approval</th>
          </tr>
        </thead>
        <tbody>
          {p.steps.map((s, i) => (
            <tr key={i}>
              <td>{i + 1}</td>
              <td>{s.weight}%</td>
              <td>{secs(s.minDuration)}</td>
              <td>{s.minSamples}</td>
              <td>{s.maxDuration !== undefined ? secs(s.maxDuration) : '—'}</td>
              <td>{s.approval ? 'needs approval' : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>Metrics of {p.name}</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Kind</th>
            <th scope="col">Threshold</th>
          </tr>
        </thead>
        <tbody>
          {p.metrics.map((m) => (
            <tr key={m.name}>
              <td>
                {m.name}
                {m.dryRun ? ' (dry run)' : ''}
              </td>
              <td>{m.kind}</td>
              <td>
                {m.kind === 'threshold'
                  ? [m.min !== undefined ? `min ${m.min}` : '', m.max !== undefined ? `max ${m.max}` : '']
                      .filter(Boolean)
                      .join(', ')
                  : `treatment at most ${m.maxIncrease} above control (alpha ${m.alpha})`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        Every {secs(p.analysis.interval)}; on failure: {p.onFailure}, inconclusive too long: {p.onInconclusive},
        provider errors: {p.onError}; sample-ratio mismatch below p={p.srm.threshold}: {p.srm.action}.
      </p>
    </div>
  );
}

export function StartRolloutForm(p: {
  project: string;
  environment: string;
  flag: string;
  policies: PolicyView[];
  variants: string[];
  blocked?: string;
}) {
  const [state, action, pending] = useActionState<StartState, FormData>(startRollout, {});
  const [policy, setPolicy] = useState(p.policies[0]?.name ?? '');
  const picked = p.policies.find((x) => x.name === policy);
  const [treatment, setTreatment] = useState(p.variants.find((v) => v === 'on') ?? p.variants[1] ?? '');
  const [control, setControl] = useState(p.variants.find((v) => v === 'off') ?? p.variants[0] ?? '');
  const [scheduled, scheduleAction, scheduling] = useActionState<RolloutScheduleState, FormData>(
    scheduleRolloutStart,
    {},
  );
  const [zone, setZone] = useState<string | null>(null);
  const [startAt, setStartAt] = useState('');
  // The browser's zone, known once mounted.
  useEffect(() => setZone(Intl.DateTimeFormat().resolvedOptions().timeZone), []);
  const startAtIso = zone ? localToIsoWithOffset(startAt, zone) : null;
  const atProblem = scheduled.error?.problems?.find((x) => x.path === 'at');
  return (
    <form action={action} className="stack" aria-labelledby="start-h">
      <h2 id="start-h">Start a rollout</h2>
      <input type="hidden" name="project" value={p.project} />
      <input type="hidden" name="environment" value={p.environment} />
      <input type="hidden" name="flag" value={p.flag} />
      <label htmlFor="start-policy">Policy</label>
      <select id="start-policy" name="policy" value={policy} onChange={(e) => setPolicy(e.target.value)}>
        {p.policies.map((x) => (
          <option key={x.name} value={x.name}>
            {x.name}
          </option>
        ))}
      </select>
      {picked ? <PolicySummary p={picked} /> : <p className="hint">No policy is installed (policies/*.yaml).</p>}
      <div className="row">
        <label htmlFor="start-treatment">Treatment</label>
        <select id="start-treatment" name="treatment" value={treatment} onChange={(e) => setTreatment(e.target.value)}>
          {p.variants.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
        <label htmlFor="start-control">Control</label>
        <select id="start-control" name="control" value={control} onChange={(e) => setControl(e.target.value)}>
          {p.variants.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </div>
      {treatment === control ? (
        <p className="error" role="alert">
          The control must differ from the treatment.
        </p>
      ) : null}
      <label htmlFor="start-reason">Reason (optional)</label>
      <input id="start-reason" name="reason" maxLength={2000} />
      <div className="row">
        <button
          type="submit"
          className="primary"
          disabled={!!p.blocked || pending || !picked || treatment === control}
          aria-describedby={p.blocked ? 'start-why' : undefined}
        >
          {pending ? 'Starting…' : 'Start rollout'}
        </button>
        {p.blocked ? (
          <span id="start-why" className="muted">
            {p.blocked}
          </span>
        ) : null}
      </div>
      {state.error ? <ApiErrorPanel error={state.error} /> : null}
      <fieldset className="stack">
        <legend>Start at …</legend>
        <input type="hidden" name="at" value={startAtIso ?? ''} />
        <div className="row">
          <label htmlFor="start-at">Start at</label>
          <input
            id="start-at"
            type="datetime-local"
            step={1}
            value={startAt}
            onChange={(e) => setStartAt(e.target.value)}
            aria-describedby="start-at-zone"
            aria-invalid={atProblem ? true : undefined}
          />
          <span id="start-at-zone" className="muted">
            {zone ? `in ${zone}` : "in your browser's time zone"}
          </span>
          <button
            type="submit"
            formAction={scheduleAction}
            disabled={scheduling || !picked || treatment === control || !startAtIso}
          >
            {scheduling ? 'Scheduling…' : 'Schedule this start'}
          </button>
        </div>
        <p className="hint">
          The policy is pinned as it is now. If a rollout is active or the flag is off at that time, the schedule is
          conflicted, not applied.
        </p>
        {atProblem ? (
          <p className="error" role="alert">
            {atProblem.message}
          </p>
        ) : null}
        <div role="status" aria-live="polite">
          {scheduled.scheduled ? (
            <p className="ok">
              Schedule #{scheduled.scheduled.id} is {scheduled.scheduled.status} for{' '}
              <LocalTime iso={scheduled.scheduled.at} />.{' '}
              <a href={scheduled.scheduled.href}>See the flag&apos;s schedules</a>
            </p>
          ) : null}
        </div>
        {scheduled.error && !atProblem ? <ApiErrorPanel error={scheduled.error} /> : null}
      </fieldset>
    </form>
  );
}
