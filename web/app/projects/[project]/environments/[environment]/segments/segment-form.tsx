'use client';
/**
 * The segment editor: description, included and excluded keys (one per line), and rules (each an
 * AND of conditions attribute / operator / values). Problems from the API are shown at the
 * fields their paths name; a stale version offers a reload; in an approval-required environment
 * saving files a change request (with a comment) and links to it.
 */
import { useActionState, useState } from 'react';
import { ApiErrorPanel } from '../../../../../../components/api-error-panel.tsx';
import { type SaveState, saveSegment } from './actions.ts';
import {
  type DraftCondition,
  emptyCondition,
  fieldId,
  problemsByField,
  SEGMENT_RULE_OPERATORS,
  type SegmentDraft,
} from './segment-form-model.ts';
import styles from './segment-form.module.css';

export interface SegmentFormProps {
  project: string;
  environment: string;
  /** Absent for a new segment. */
  segmentKey?: string;
  version: number;
  initial: SegmentDraft;
  /** The environment requires approval: saving files a change request. */
  approval: boolean;
  disabled: boolean;
  disabledReason?: string;
  /** Where "reload" goes after a stale save. */
  reloadHref: string;
}

export function SegmentForm(p: SegmentFormProps) {
  const [draft, setDraft] = useState<SegmentDraft>(p.initial);
  const [state, action, pending] = useActionState<SaveState, FormData>(saveSegment, {});
  const byField = problemsByField(state.problems ?? []);
  const isNew = p.segmentKey === undefined;

  const set = (patch: Partial<SegmentDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setCondition = (r: number, c: number, patch: Partial<DraftCondition>) =>
    setDraft((d) => ({
      ...d,
      rules: d.rules.map((rule, i) =>
        i !== r ? rule : { conditions: rule.conditions.map((cond, j) => (j !== c ? cond : { ...cond, ...patch })) },
      ),
    }));
  const errorsOf = (id: string) => byField.get(id);
  const invalid = (id: string) =>
    errorsOf(id) ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-error` } : {};
  const fieldErrors = (id: string) => {
    const list = errorsOf(id);
    return list ? (
      <p id={`${id}-error`} className="error">
        {list.join('; ')}
      </p>
    ) : null;
  };
  const formProblems = byField.get('');

  return (
    <form action={action} className="stack" aria-label={isNew ? 'New segment' : `Segment ${p.segmentKey}`}>
      <input type="hidden" name="project" value={p.project} />
      <input type="hidden" name="environment" value={p.environment} />
      <input type="hidden" name="mode" value={isNew ? 'create' : 'update'} />
      <input type="hidden" name="segment" value={p.segmentKey ?? ''} />
      <input type="hidden" name="version" value={String(p.version)} />
      <input type="hidden" name="approval" value={p.approval ? '1' : ''} />
      <input type="hidden" name="draft" value={JSON.stringify(draft)} />
      <fieldset disabled={p.disabled || pending} className={styles.fields}>
        <legend className="visually-hidden">Segment fields</legend>
        {isNew ? (
          <>
            <label htmlFor={fieldId.key}>Key</label>
            <input
              id={fieldId.key}
              value={draft.key}
              onChange={(e) => set({ key: e.target.value })}
              required
              autoComplete="off"
              spellCheck={false}
              {...invalid(fieldId.key)}
            />
            {fieldErrors(fieldId.key)}
          </>
        ) : null}
        <label htmlFor={fieldId.description}>Description</label>
        <input
          id={fieldId.description}
          value={draft.description}
          onChange={(e) => set({ description: e.target.value })}
          {...invalid(fieldId.description)}
        />
        {fieldErrors(fieldId.description)}
        <div className={styles.keys}>
          <div className="stack">
            <label htmlFor={fieldId.included}>Included keys</label>
            <p className="hint" id={`${fieldId.included}-hint`}>
              One context key per line: always in the segment (unless excluded).
            </p>
            <textarea
              id={fieldId.included}
              className="code"
              rows={6}
              value={draft.included}
              onChange={(e) => set({ included: e.target.value })}
              spellCheck={false}
              {...invalid(fieldId.included)}
            />
            {fieldErrors(fieldId.included)}
          </div>
          <div className="stack">
            <label htmlFor={fieldId.excluded}>Excluded keys</label>
            <p className="hint">One context key per line: never in the segment (exclusion wins).</p>
            <textarea
              id={fieldId.excluded}
              className="code"
              rows={6}
              value={draft.excluded}
              onChange={(e) => set({ excluded: e.target.value })}
              spellCheck={false}
              {...invalid(fieldId.excluded)}
            />
            {fieldErrors(fieldId.excluded)}
          </div>
        </div>

        <h2>Rules</h2>
        <p className="hint">
          A context matching any rule is in the segment; a rule matches when all its conditions hold. A segment&apos;s
          rules cannot test other segments.
        </p>
        {draft.rules.length === 0 ? <p className="muted">No rules: only the listed keys are in the segment.</p> : null}
        {draft.rules.map((rule, r) => (
          <fieldset
            key={r}
            id={fieldId.rule(r)}
            className={styles.rule}
            aria-describedby={errorsOf(fieldId.rule(r)) ? `${fieldId.rule(r)}-error` : undefined}
          >
            <legend>Rule {r + 1}</legend>
            {fieldErrors(fieldId.rule(r))}
            {rule.conditions.map((c, ci) => {
              const [a, o, v] = (['attribute', 'op', 'values'] as const).map((part) => fieldId.condition(r, ci, part));
              const n = `rule ${r + 1}, condition ${ci + 1}`;
              return (
                <div
                  key={ci}
                  className={styles.condition}
                  role="group"
                  aria-label={`Condition ${ci + 1} of rule ${r + 1}`}
                >
                  <div className="stack">
                    <label htmlFor={a}>Attribute</label>
                    <input
                      id={a}
                      value={c.attribute}
                      onChange={(e) => setCondition(r, ci, { attribute: e.target.value })}
                      aria-label={`Attribute, ${n}`}
                      spellCheck={false}
                      {...invalid(a!)}
                    />
                    {fieldErrors(a!)}
                  </div>
                  <div className="stack">
                    <label htmlFor={o}>Operator</label>
                    <select
                      id={o}
                      value={c.op}
                      onChange={(e) => setCondition(r, ci, { op: e.target.value })}
                      aria-label={`Operator, ${n}`}
                      {...invalid(o!)}
                    >
                      {(SEGMENT_RULE_OPERATORS as readonly string[]).includes(c.op) ? null : (
                        <option value={c.op}>{c.op}</option>
                      )}
                      {SEGMENT_RULE_OPERATORS.map((op) => (
                        <option key={op} value={op}>
                          {op}
                        </option>
                      ))}
                    </select>
                    {fieldErrors(o!)}
                  </div>
                  <div className="stack">
                    <label htmlFor={v}>Values (one per line)</label>
                    <textarea
                      id={v}
                      className="code"
                      rows={2}
                      value={c.values}
                      onChange={(e) => setCondition(r, ci, { values: e.target.value })}
                      aria-label={`Values, ${n}`}
                      spellCheck={false}
                      {...invalid(v!)}
                    />
                    {fieldErrors(v!)}
                  </div>
                  <button
                    type="button"
                    className="link"
                    aria-label={`Remove condition ${ci + 1} of rule ${r + 1}`}
                    onClick={() =>
                      setDraft((d) => ({
                        ...d,
                        rules: d.rules.map((x, i) =>
                          i === r ? { conditions: x.conditions.filter((_, j) => j !== ci) } : x,
                        ),
                      }))
                    }
                  >
                    Remove condition
                  </button>
                </div>
              );
            })}
            <div className="row">
              <button
                type="button"
                onClick={() =>
                  setDraft((d) => ({
                    ...d,
                    rules: d.rules.map((x, i) => (i === r ? { conditions: [...x.conditions, emptyCondition()] } : x)),
                  }))
                }
              >
                Add condition to rule {r + 1}
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => setDraft((d) => ({ ...d, rules: d.rules.filter((_, i) => i !== r) }))}
              >
                Remove rule {r + 1}
              </button>
            </div>
          </fieldset>
        ))}
        <div>
          <button
            type="button"
            onClick={() => setDraft((d) => ({ ...d, rules: [...d.rules, { conditions: [emptyCondition()] }] }))}
          >
            Add rule
          </button>
        </div>

        {p.approval ? (
          <>
            <label htmlFor="seg-comment">Comment for the change request</label>
            <p className="hint" id="seg-comment-hint">
              This environment requires approval: saving files a change request that another person approves.
            </p>
            <textarea id="seg-comment" name="comment" rows={2} required aria-describedby="seg-comment-hint" />
          </>
        ) : null}
      </fieldset>

      {formProblems ? (
        <div role="alert" className="error-panel">
          <p>
            <strong>The API refused this.</strong>
          </p>
          <ul>
            {formProblems.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {state.problems && !formProblems ? (
        <p role="alert" className="error">
          The API found problems: they are shown at the fields.
        </p>
      ) : null}
      {state.stale ? (
        <div role="alert" className="error-panel">
          <p>
            <strong>This segment changed meanwhile</strong>
            {state.stale.currentVersion !== undefined
              ? ` (it is at version ${state.stale.currentVersion}; you edited version ${p.version})`
              : ''}
            . Nothing was saved. <a href={p.reloadHref}>Reload the segment</a> and make your change again.
          </p>
        </div>
      ) : null}
      {state.error && !state.problems && !state.stale ? <ApiErrorPanel error={state.error} /> : null}
      {state.changeRequest ? (
        <p role="status" className="notice">
          Change request {state.changeRequest.id} filed: it applies when another person approves it.{' '}
          <a href={state.changeRequest.href}>Open change request {state.changeRequest.id}</a>
        </p>
      ) : null}

      <div className="row">
        <button
          type="submit"
          className="primary"
          disabled={p.disabled || pending}
          aria-describedby={p.disabled && p.disabledReason ? 'seg-disabled-reason' : undefined}
        >
          {pending ? 'Saving…' : p.approval ? 'File change request' : isNew ? 'Create segment' : 'Save segment'}
        </button>
        {p.disabled && p.disabledReason ? (
          <span id="seg-disabled-reason" className="muted">
            {p.disabledReason}
          </span>
        ) : null}
      </div>
    </form>
  );
}
