'use client';
/** Copies a text (a resolved PromQL query) to the clipboard; says so in a live region. */
import { useState } from 'react';

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState('');
  return (
    <>
      <button
        type="button"
        className="link"
        aria-label={label}
        onClick={() =>
          void navigator.clipboard.writeText(text).then(
            () => setDone('copied'),
            () => setDone('copy failed: select the text instead'),
          )
        }
      >
        Copy
      </button>
      <span role="status" className="muted">
        {done}
      </span>
    </>
  );
}
