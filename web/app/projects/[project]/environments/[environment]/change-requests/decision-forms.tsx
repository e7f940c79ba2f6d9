'use client';
/**
 * Approve, reject and cancel, each a small form with a comment. A control the key may not use is
 * rendered disabled with its reason next to it; a refusal the API answers anyway is shown as it says.
 */
import { useActionState, useId } from 'react';
import { ApiErrorPanel } from '../../../../../../components/api-error-panel.tsx';
import { type DecisionState, decide } from './actions.ts';

export interface DecisionFormsProps {
  project: string;
  environment: string;
  id: string;
  /** Why approve/reject are disabled (undefined = enabled). */
  reviewBlocked?: string;
  /** Why cancel is disabled (undefined = enabled). */
  cancelBlocked?: string;
}

function DecisionForm(p: {
  decision: 'approve' | 'reject' | 'cancel';
  label: string;
  className?: string;
  blocked?: string;
  base: Omit<DecisionFormsProps, 'reviewBlocked' | 'cancelBlocked'>;
}) {
  const [state, action, pending] = useActionState<DecisionState, FormData>(decide, {});
  const id = useId();
  return (
    <form action={action} className="stack" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{p.label}</h3>
      <input type="hidden" name="decision" value={p.decision} />
      <input type="hidden" name="project" value={p.base.project} />
      <input type="hidden" name="environment" value={p.base.environment} />
      <input type="hidden" name="id" value={p.base.id} />
      <label htmlFor={`${id}-comment`}>Comment ({p.label.toLowerCase()})</label>
      <textarea id={`${id}-comment`} name="comment" rows={2} maxLength={10_000} disabled={!!p.blocked || pending} />
      <div className="row">
        <button
          type="submit"
          className={p.className}
          disabled={!!p.blocked || pending}
          aria-describedby={p.blocked ? `${id}-why` : undefined}
        >
          {pending ? 'Working…' : p.label}
        </button>
        {p.blocked ? (
          <span id={`${id}-why`} className="muted">
            {p.blocked}
          </span>
        ) : null}
      </div>
      {state.error ? <ApiErrorPanel error={state.error} /> : null}
      {state.done ? (
        <p role="status" className="ok">
          {state.done}
        </p>
      ) : null}
    </form>
  );
}

export function DecisionForms(p: DecisionFormsProps) {
  const base = { project: p.project, environment: p.environment, id: p.id };
  return (
    <div className="stack">
      <DecisionForm decision="approve" label="Approve" className="primary" blocked={p.reviewBlocked} base={base} />
      <DecisionForm decision="reject" label="Reject" className="danger" blocked={p.reviewBlocked} base={base} />
      <DecisionForm decision="cancel" label="Cancel request" blocked={p.cancelBlocked} base={base} />
    </div>
  );
}
