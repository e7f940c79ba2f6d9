'use client';
/** Cancel behind a confirmation (the reason becomes the schedule's cancel comment); the page re-reads after. */
import { useRouter } from 'next/navigation';
import { ConfirmDialog } from '../confirm-dialog.tsx';
import { cancelSchedule } from './schedule-actions.ts';

export function CancelSchedule(p: { id: number; what: string; disabledReason?: string }) {
  const router = useRouter();
  return (
    <ConfirmDialog
      triggerLabel={`Cancel schedule #${p.id}`}
      title={`Cancel schedule #${p.id}?`}
      description={<p>It will not {p.what}. A cancelled schedule cannot be armed again: schedule a new one.</p>}
      confirmLabel="Cancel schedule"
      askReason
      hidden={{ id: String(p.id) }}
      disabled={p.disabledReason !== undefined}
      {...(p.disabledReason ? { disabledReason: p.disabledReason } : {})}
      action={async (prev, form) => {
        const r = await cancelSchedule(prev, form);
        if (r.ok) router.refresh();
        return r;
      }}
    />
  );
}
