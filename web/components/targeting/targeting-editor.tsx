'use client';
/**
 * The targeting editor: a controlled form over one FlagConfig draft. (Interface fixed by the page;
 * this first version edits the draft as JSON until the structured editor replaces it.)
 */
import type { Flag, FlagConfig, Segment } from '@flagship/evaluator';
import { useState } from 'react';

export interface EditorProblem {
  /** The API's problem path relative to the config: `rules[0].conditions[1].op`, `defaultRule.split`. */
  path: string;
  message: string;
}

export interface TargetingEditorProps {
  definition: Flag;
  value: FlagConfig;
  onChange: (next: FlagConfig) => void;
  /** The environment's segments, for the segment picker. */
  segments: Segment[];
  /** Other flags of the project (key, type, variants), for prerequisites. */
  flags: Array<Pick<Flag, 'key' | 'type' | 'variants'>>;
  /** Problems from the API's last answer, shown at the fields their paths name. */
  problems: EditorProblem[];
  disabled: boolean;
}

export function TargetingEditor(p: TargetingEditorProps) {
  const [text, setText] = useState(() => JSON.stringify(p.value, null, 2));
  return (
    <div className="stack">
      <label htmlFor="config-json">Configuration (JSON)</label>
      <textarea
        id="config-json"
        className="code"
        rows={20}
        value={text}
        disabled={p.disabled}
        onChange={(e) => {
          setText(e.target.value);
          try {
            p.onChange(JSON.parse(e.target.value) as FlagConfig);
          } catch {
            // Not JSON yet: keep typing.
          }
        }}
      />
      {p.problems.map((x, i) => (
        <p key={i} className="error">
          <code>{x.path}</code>: {x.message}
        </p>
      ))}
    </div>
  );
}
