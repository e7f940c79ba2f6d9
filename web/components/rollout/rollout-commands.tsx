/**
 * Pause, resume, approve, abort and retry, each behind a confirmation and enabled only in the
 * states where it applies (controller/src/rollouts/rollout-transition.ts ACTION_FROM) and for a
 * key that may use it; a refusal the API answers anyway is shown in the dialog.
 */
import { ConfirmDialog } from '../confirm-dialog.tsx';
import { rolloutCommand } from '../../app/rollouts/actions.ts';
import type { RolloutStatus } from '../../lib/rollout-types.ts';

export type Command = 'pause' | 'resume' | 'approve' | 'abort' | 'retry';

export const COMMAND_FROM: Record<Command, readonly RolloutStatus[]> = {
  pause: ['running', 'awaiting-approval'],
  resume: ['paused'],
  approve: ['running', 'awaiting-approval', 'paused'],
  abort: ['running', 'awaiting-approval', 'paused'],
  retry: ['rolled-back', 'aborted'],
};

const TEXT: Record<Command, { label: string; title: string; what: string }> = {
  pause: { label: 'Pause', title: 'Pause this rollout?', what: 'No ticks run until it is resumed; the weight stays.' },
  resume: { label: 'Resume', title: 'Resume this rollout?', what: 'Ticks start again at the current step.' },
  approve: {
    label: 'Approve',
    title: 'Approve advancing past this gate?',
    what: 'The next healthy tick advances to the next step.',
  },
  abort: {
    label: 'Abort',
    title: 'Abort this rollout?',
    what: 'Everyone goes back to the control variant now.',
  },
  retry: { label: 'Retry', title: 'Retry this rollout?', what: 'It starts again from step 1 with fresh counters.' },
};

export interface RolloutCommandsProps {
  id: number;
  version: number;
  status: RolloutStatus;
  /** Why each command is not allowed for this key or step (undefined: allowed). */
  blocked: Partial<Record<Command, string>>;
}

export function RolloutCommands(p: RolloutCommandsProps) {
  return (
    <div className="row" data-testid="rollout-commands">
      {(Object.keys(TEXT) as Command[]).map((c) => {
        const wrongState = COMMAND_FROM[c].includes(p.status)
          ? undefined
          : `only when ${COMMAND_FROM[c].join(' or ')} (this rollout is ${p.status})`;
        const why = wrongState ?? p.blocked[c];
        return (
          <ConfirmDialog
            key={c}
            triggerLabel={TEXT[c].label}
            triggerClassName={c === 'abort' ? 'danger' : c === 'approve' || c === 'resume' ? 'primary' : ''}
            title={TEXT[c].title}
            description={
              <p>
                Rollout {p.id}: {TEXT[c].what}
              </p>
            }
            confirmLabel={TEXT[c].label}
            action={rolloutCommand}
            hidden={{ id: String(p.id), action: c, version: String(p.version) }}
            askReason={c === 'abort' || c === 'pause'}
            disabled={why !== undefined}
            disabledReason={why}
          />
        );
      })}
    </div>
  );
}
