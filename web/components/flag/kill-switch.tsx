'use client';
/**
 * The kill switch of a flag in one environment. On: a "Turn off" button behind a confirmation
 * dialog that asks for a reason and, where changes need approval, the environment's name typed
 * out (the kill itself needs no approval: it can only turn a flag off). Off: turning it on is a
 * config change (enabled = true) saved from the editor, or filed as a change request.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { ConfirmDialog, type ConfirmResult } from '../confirm-dialog.tsx';
import { killFlag } from './kill-actions.ts';

export interface KillSwitchProps {
  project: string;
  /** The environment's key (not its id). */
  environment: string;
  environmentName: string;
  flag: string;
  enabled: boolean;
  requireApproval: boolean;
  canEdit: boolean;
  /** Why the switch is disabled (default: the role text). */
  disabledReason?: string;
}

export function KillSwitch(p: KillSwitchProps) {
  const router = useRouter();
  const [message, setMessage] = useState<string | undefined>();
  const statusRef = useRef<HTMLParagraphElement>(null);
  // Once the refreshed page shows the flag off, the dialog's trigger is gone: focus goes to the outcome.
  useEffect(() => {
    if (message && !p.enabled) statusRef.current?.focus();
  }, [message, p.enabled]);
  const reason =
    p.disabledReason ?? 'Your key cannot change configs in this environment: the kill switch needs an editor.';
  const action = async (prev: ConfirmResult, form: FormData): Promise<ConfirmResult> => {
    const r = await killFlag(prev, form);
    if (r.ok) {
      setMessage(r.message);
      router.refresh();
    }
    return { ok: r.ok, error: r.error };
  };
  return (
    <section aria-labelledby="kill-switch-title" className="stack" data-testid="kill-switch">
      <h2 id="kill-switch-title">Kill switch</h2>
      {p.enabled ? (
        <>
          <div className="row">
            <span className="badge on">On</span>
            <ConfirmDialog
              triggerLabel="Turn off (kill switch)"
              title={`Turn off ${p.flag} in ${p.environmentName}?`}
              description={
                <p>
                  Every evaluation of <code>{p.flag}</code> in {p.environmentName} will answer the off variant with
                  reason <code>DISABLED</code>, within seconds. The reason is recorded in the audit log.
                  {p.requireApproval
                    ? ' This environment needs approval for changes; the kill switch does not (it can only turn the flag off), so type its name to confirm.'
                    : ''}
                </p>
              }
              confirmLabel="Turn off"
              action={action}
              hidden={{ project: p.project, environment: p.environment, flag: p.flag }}
              askReason
              typeToConfirm={p.requireApproval ? p.environmentName || p.environment : undefined}
              disabled={!p.canEdit}
              disabledReason={reason}
            />
          </div>
          {!p.canEdit ? <p className="hint">{reason}</p> : null}
        </>
      ) : (
        <>
          <div className="row">
            <span className="badge off">Off</span>
          </div>
          <p className="hint">
            Turning it on is a config change: set <strong>enabled</strong> in the targeting editor and save it
            {p.requireApproval ? ' (in this environment, as a change request another person approves)' : ''}.
          </p>
        </>
      )}
      <p ref={statusRef} role="status" tabIndex={-1} className="ok" data-testid="kill-message">
        {message ?? ''}
      </p>
    </section>
  );
}
