'use client';
import { useState } from 'react';
import { ApiErrorPanel } from '../../components/api-error-panel.tsx';
import type { ApiError } from '../../lib/admin-api.ts';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { revokeKey } from './actions.ts';

/** Revoke behind the confirm dialog; a refusal (the last admin key: 409) is shown as the API says it. */
export function RevokeKey({ id, name, owner, self }: { id: string; name: string; owner: string; self: boolean }) {
  const [error, setError] = useState<ApiError | undefined>(undefined);
  return (
    <div className="stack">
      <ConfirmDialog
        triggerLabel={`Revoke ${name}`}
        title={`Revoke key “${name}”?`}
        description={
          <>
            <p>
              The key of {owner} stops working at once: the API answers it 401 and its console sessions end. Revoking
              cannot be undone.
            </p>
            {self ? <p className="warn">This is the key you are signed in with: you will be signed out.</p> : null}
          </>
        }
        confirmLabel="Revoke key"
        action={async () => {
          const r = await revokeKey(id);
          setError(r.error);
          return r.error ? { error: `${r.error.message} (${r.error.status} ${r.error.code})` } : { ok: true };
        }}
      />
      {error ? <ApiErrorPanel error={error} title="The key was not revoked" /> : null}
    </div>
  );
}
