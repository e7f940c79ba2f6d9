'use client';
/**
 * A destructive action behind an alertdialog: a trigger button opens a modal <dialog> (focus moves
 * into it, Escape closes it, focus returns to the trigger), which may ask for a reason and for a
 * word typed out (an approval-required environment's name) before its confirm button is enabled.
 * Confirming submits a form to the given server action with `hidden` fields and `reason`.
 */
import { type ReactNode, useActionState, useId, useRef, useState } from 'react';

export interface ConfirmResult {
  /** Shown in the dialog when the action failed; the dialog stays open. */
  error?: string;
  ok?: boolean;
}

export interface ConfirmDialogProps {
  triggerLabel: string;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  action: (prev: ConfirmResult, form: FormData) => Promise<ConfirmResult>;
  hidden?: Record<string, string>;
  /** Ask for a reason (a required text field named `reason`). */
  askReason?: boolean;
  /** The confirm button stays disabled until this exact text is typed. */
  typeToConfirm?: string;
  disabled?: boolean;
  disabledReason?: string;
  triggerClassName?: string;
}

export function ConfirmDialog(p: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const [typed, setTyped] = useState('');
  const id = useId();
  const [state, action, pending] = useActionState(async (prev: ConfirmResult, form: FormData) => {
    const result = await p.action(prev, form);
    if (result.ok) ref.current?.close();
    return result;
  }, {});
  const close = () => {
    ref.current?.close();
    triggerRef.current?.focus();
  };
  return (
    <>
      <button
        ref={triggerRef}
        type="button"
        className={p.triggerClassName ?? 'danger'}
        disabled={p.disabled}
        title={p.disabled ? p.disabledReason : undefined}
        onClick={() => {
          setTyped('');
          ref.current?.showModal();
        }}
      >
        {p.triggerLabel}
      </button>
      <dialog
        ref={ref}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-desc`}
        onClose={() => triggerRef.current?.focus()}
      >
        <form action={action} className="stack">
          <h2 id={`${id}-title`}>{p.title}</h2>
          <div id={`${id}-desc`}>{p.description}</div>
          {Object.entries(p.hidden ?? {}).map(([k, v]) => (
            <input key={k} type="hidden" name={k} value={v} />
          ))}
          {p.askReason ? (
            <>
              <label htmlFor={`${id}-reason`}>Reason</label>
              <input id={`${id}-reason`} name="reason" required maxLength={1000} autoFocus />
            </>
          ) : null}
          {p.typeToConfirm ? (
            <>
              <label htmlFor={`${id}-confirm`}>
                Type <strong>{p.typeToConfirm}</strong> to confirm
              </label>
              <input
                id={`${id}-confirm`}
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
                autoComplete="off"
                spellCheck={false}
              />
            </>
          ) : null}
          {state.error ? (
            <p role="alert" className="error">
              {state.error}
            </p>
          ) : null}
          <div className="row">
            <button
              type="submit"
              className="danger"
              disabled={pending || (p.typeToConfirm !== undefined && typed !== p.typeToConfirm)}
            >
              {pending ? 'Working…' : p.confirmLabel}
            </button>
            <button type="button" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
