'use client';
/**
 * "Try a context": what a context gets from the unsaved draft, computed in the browser by the
 * engine core exactly as the server's preview computes it for a saved config
 * (draft-snapshot.ts). The draft is compiled once per change of the draft; each keystroke in the
 * context only parses and evaluates. On the output, `data-eval-ms` is the last evaluation's time
 * (parse the context + explain) and `data-compile-ms` the last compile's (validate + compile).
 */
import type { Explanation, Flag, FlagConfig, Segment, SnapshotFlag } from '@flagship/evaluator';
import { useId, useMemo, useState } from 'react';
import { compileDraft, tryContext, type CompiledDraft } from './draft-snapshot.ts';

export interface TryContextProps {
  definition: Flag;
  draft: FlagConfig;
  /** The environment's other flags as its snapshot holds them (for prerequisites). */
  otherFlags: SnapshotFlag[];
  segments: Segment[];
  /** The context to start with (JSON text). */
  initialContext?: string;
  environment?: string;
}

const now = () => (typeof performance === 'undefined' ? Date.now() : performance.now());

export function TryContext(p: TryContextProps) {
  const id = useId();
  const [text, setText] = useState(p.initialContext ?? '{\n  "targetingKey": "user-1"\n}');
  const { compiled, compileMs } = useMemo((): { compiled: CompiledDraft; compileMs: number } => {
    const t0 = now();
    const compiled = compileDraft({
      definition: p.definition,
      draft: p.draft,
      otherFlags: p.otherFlags,
      segments: p.segments,
      environment: p.environment,
    });
    return { compiled, compileMs: now() - t0 };
  }, [p.definition, p.draft, p.otherFlags, p.segments, p.environment]);
  const { outcome, evalMs } = useMemo(() => {
    const t0 = now();
    const outcome = tryContext(compiled, text);
    return { outcome, evalMs: now() - t0 };
  }, [compiled, text]);
  const contextId = `${id}-context`;
  const r = outcome.ok ? outcome.explanation : undefined;
  return (
    <section className="stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Try a context</h2>
      <p className="hint" id={`${id}-hint`}>
        Evaluated in your browser on the draft as you type, by the same engine the evaluators run. After saving, the
        server&apos;s preview answers the same.
      </p>
      <label htmlFor={contextId}>Context (JSON)</label>
      <textarea
        id={contextId}
        className="code"
        rows={6}
        spellCheck={false}
        value={text}
        aria-describedby={`${id}-hint`}
        aria-invalid={outcome.ok ? undefined : true}
        onChange={(e) => setText(e.target.value)}
      />
      <div
        aria-live="polite"
        className="notice"
        data-testid="try-context-output"
        data-eval-ms={evalMs.toFixed(3)}
        data-compile-ms={compileMs.toFixed(3)}
      >
        {!outcome.ok ? (
          <p className="error" data-testid="try-error">
            {outcome.error}
          </p>
        ) : (
          <dl>
            <dt>Value</dt>
            <dd>
              <code data-testid="try-value">
                {r!.result.value === undefined ? '(none)' : JSON.stringify(r!.result.value)}
              </code>
            </dd>
            <dt>Variant</dt>
            <dd data-testid="try-variant">{r!.result.variant ?? '(none)'}</dd>
            <dt>Reason</dt>
            <dd data-testid="try-reason">
              {r!.result.reason}
              {r!.result.errorCode ? ` (${r!.result.errorCode}: ${r!.result.errorMessage ?? ''})` : ''}
            </dd>
            <dt>Decided by</dt>
            <dd data-testid="try-decided-by">{describeDecision(r!)}</dd>
          </dl>
        )}
        {compiled.missingPrerequisites.length > 0 ? (
          <p className="warn" data-testid="try-missing-prerequisites">
            Not loaded here: the config of {compiled.missingPrerequisites.join(', ')} in this environment, so this
            answer fails {compiled.missingPrerequisites.length === 1 ? 'that prerequisite' : 'those prerequisites'}.
            Save and reload the page to evaluate {compiled.missingPrerequisites.length === 1 ? 'it' : 'them'}.
          </p>
        ) : null}
        {compiled.problems.length > 0 ? (
          <p className="warn" data-testid="try-draft-problems">
            The draft has {compiled.problems.length === 1 ? 'a problem' : `${compiled.problems.length} problems`} a save
            would report ({compiled.problems[0]!.path || 'config'}: {compiled.problems[0]!.message}); this answer may
            differ from the server&apos;s after saving.
          </p>
        ) : null}
      </div>
    </section>
  );
}

function describeDecision(e: Explanation): string {
  switch (e.decidedBy) {
    case 'rule':
      return `rule ${(e.ruleIndex ?? 0) + 1}${e.ruleId ? ` (${e.ruleId})` : ''}${e.bucket !== undefined ? `, bucket ${e.bucket}` : ''}`;
    case 'default':
      return `the default rule${e.bucket !== undefined ? `, bucket ${e.bucket}` : ''}`;
    case 'prerequisite':
      return e.failedPrerequisite
        ? `prerequisite ${e.failedPrerequisite.flag}: wanted ${e.failedPrerequisite.wanted}, got ${e.failedPrerequisite.got ?? 'nothing'}`
        : 'a prerequisite';
    case 'target':
      return 'individual targeting';
    case 'disabled':
      return 'the flag is off';
    case 'error':
      return 'an error';
  }
}
