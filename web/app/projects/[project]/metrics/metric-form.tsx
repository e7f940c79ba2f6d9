'use client';
/**
 * The metric definition editor: key (new only), name, description, kind (ratio: numerator and
 * denominator templates; quantile: one query), better, unit and the flags it is measured for.
 * Problems from the API are shown at the fields their paths name; a stale version offers a reload.
 */
import { useActionState, useState } from 'react';
import { ApiErrorPanel } from '../../../../components/api-error-panel.tsx';
import { type SaveState, saveMetric } from './actions.ts';
import { fieldId, type MetricDraft, problemsByField } from './metric-form-model.ts';
import styles from './metrics.module.css';
import { TemplateHelp } from './template-help.tsx';

export interface MetricFormProps {
  project: string;
  /** Absent for a new definition. */
  metricKey?: string;
  version: number;
  initial: MetricDraft;
  disabled: boolean;
  disabledReason?: string;
  /** Where "reload" goes after a stale save. */
  reloadHref: string;
}

const HELP_ID = 'metric-template-help';

export function MetricForm(p: MetricFormProps) {
  const [draft, setDraft] = useState<MetricDraft>(p.initial);
  const [state, action, pending] = useActionState<SaveState, FormData>(saveMetric, {});
  const byField = problemsByField(state.problems ?? []);
  const isNew = p.metricKey === undefined;
  const set = (patch: Partial<MetricDraft>) => setDraft((d) => ({ ...d, ...patch }));

  const errorId = (id: string) => `${id}-error`;
  /** aria-describedby: the field's hint, then its errors. */
  const described = (id: string, hint?: string) => {
    const ids = [hint, byField.has(id) ? errorId(id) : undefined].filter(Boolean).join(' ');
    return {
      ...(byField.has(id) ? { 'aria-invalid': true as const } : {}),
      ...(ids ? { 'aria-describedby': ids } : {}),
    };
  };
  const fieldErrors = (id: string) => {
    const list = byField.get(id);
    return list ? (
      <p id={errorId(id)} className="error">
        {list.join('; ')}
      </p>
    ) : null;
  };
  const template = (field: 'numerator' | 'denominator' | 'query', label: string) => (
    <>
      <label htmlFor={fieldId[field]}>{label}</label>
      <textarea
        id={fieldId[field]}
        className="code"
        rows={3}
        value={draft[field]}
        onChange={(e) => set({ [field]: e.target.value })}
        spellCheck={false}
        required
        {...described(fieldId[field], HELP_ID)}
      />
      {fieldErrors(fieldId[field])}
    </>
  );
  const formProblems = byField.get('');

  return (
    <form action={action} className="stack" aria-label={isNew ? 'New metric' : `Metric ${p.metricKey}`}>
      <input type="hidden" name="project" value={p.project} />
      <input type="hidden" name="mode" value={isNew ? 'create' : 'update'} />
      <input type="hidden" name="metric" value={p.metricKey ?? ''} />
      <input type="hidden" name="version" value={String(p.version)} />
      <input type="hidden" name="draft" value={JSON.stringify(draft)} />
      <fieldset disabled={p.disabled || pending} className={styles.fields}>
        <legend className="visually-hidden">Metric definition fields</legend>
        {isNew ? (
          <>
            <label htmlFor={fieldId.key}>Key</label>
            <p className="hint" id={`${fieldId.key}-hint`}>
              Lowercase letters, digits and dashes; it cannot change later.
            </p>
            <input
              id={fieldId.key}
              value={draft.key}
              onChange={(e) => set({ key: e.target.value })}
              required
              autoComplete="off"
              spellCheck={false}
              {...described(fieldId.key, `${fieldId.key}-hint`)}
            />
            {fieldErrors(fieldId.key)}
          </>
        ) : null}
        <label htmlFor={fieldId.name}>Name</label>
        <input
          id={fieldId.name}
          value={draft.name}
          onChange={(e) => set({ name: e.target.value })}
          required
          maxLength={200}
          {...described(fieldId.name)}
        />
        {fieldErrors(fieldId.name)}
        <label htmlFor={fieldId.description}>Description</label>
        <textarea
          id={fieldId.description}
          rows={2}
          value={draft.description}
          onChange={(e) => set({ description: e.target.value })}
          maxLength={2000}
          {...described(fieldId.description)}
        />
        {fieldErrors(fieldId.description)}
        <div className={styles.choices}>
          <div className="stack">
            <label htmlFor={fieldId.kind}>Kind</label>
            <select
              id={fieldId.kind}
              value={draft.kind}
              onChange={(e) => set({ kind: e.target.value as MetricDraft['kind'] })}
              {...described(fieldId.kind)}
            >
              <option value="ratio">ratio (numerator / denominator)</option>
              <option value="quantile">quantile (one value per variant)</option>
            </select>
            {fieldErrors(fieldId.kind)}
          </div>
          <div className="stack">
            <label htmlFor={fieldId.better}>Better</label>
            <select
              id={fieldId.better}
              value={draft.better}
              onChange={(e) => set({ better: e.target.value as MetricDraft['better'] })}
              {...described(fieldId.better)}
            >
              <option value="higher">higher</option>
              <option value="lower">lower</option>
            </select>
            {fieldErrors(fieldId.better)}
          </div>
          <div className="stack">
            <label htmlFor={fieldId.unit}>Unit</label>
            <input
              id={fieldId.unit}
              value={draft.unit}
              onChange={(e) => set({ unit: e.target.value })}
              maxLength={32}
              placeholder="%, ms, req/s"
              {...described(fieldId.unit)}
            />
            {fieldErrors(fieldId.unit)}
          </div>
        </div>
        <label htmlFor={fieldId.flags}>Flags</label>
        <p className="hint" id={`${fieldId.flags}-hint`}>
          The flag keys it is measured for, separated by commas or line breaks; empty: every flag of the project. The
          evaluators count the exposures of the flags named here per variant.
        </p>
        <textarea
          id={fieldId.flags}
          className="code"
          rows={2}
          value={draft.flags}
          onChange={(e) => set({ flags: e.target.value })}
          spellCheck={false}
          {...described(fieldId.flags, `${fieldId.flags}-hint`)}
        />
        {fieldErrors(fieldId.flags)}

        <h2>Queries</h2>
        <TemplateHelp id={HELP_ID} />
        {draft.kind === 'ratio' ? (
          <>
            {template('numerator', 'Numerator')}
            {template('denominator', 'Denominator')}
          </>
        ) : (
          template('query', 'Query')
        )}
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
            <strong>This metric definition changed meanwhile</strong>
            {state.stale.currentVersion !== undefined
              ? ` (it is at version ${state.stale.currentVersion}; you edited version ${p.version})`
              : ''}
            . Nothing was saved. <a href={p.reloadHref}>Reload the definition</a> and make your change again.
          </p>
        </div>
      ) : null}
      {state.error && !state.problems && !state.stale ? <ApiErrorPanel error={state.error} /> : null}

      <div className="row">
        <button
          type="submit"
          className="primary"
          disabled={p.disabled || pending}
          aria-describedby={p.disabled && p.disabledReason ? 'metric-disabled-reason' : undefined}
        >
          {pending ? 'Saving…' : isNew ? 'Create metric' : 'Save metric'}
        </button>
        {p.disabled && p.disabledReason ? (
          <span id="metric-disabled-reason" className="muted">
            {p.disabledReason}
          </span>
        ) : null}
      </div>
    </form>
  );
}
