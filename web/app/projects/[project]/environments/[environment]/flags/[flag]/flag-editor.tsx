'use client';
/**
 * The draft of a flag's config in one environment: the targeting editor over it, "Try a context"
 * on it, and saving it. A save sends the version the edit started from; on a conflict the panel
 * shows what changed meanwhile and the user's edit, and reapplies the edit on top. In an
 * approval-required environment the save files a change request with a comment instead.
 * "Apply at …" schedules the draft (or turning the flag off or on) for a later time instead.
 */
import { jsonDiff, type Flag, type FlagConfig, type Segment, type SnapshotFlag } from '@flagship/evaluator';
import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';
import { ApiErrorPanel } from '../../../../../../../components/api-error-panel.tsx';
import { DiffTable } from '../../../../../../../components/diff-table.tsx';
import { TargetingEditor, type EditorProblem } from '../../../../../../../components/targeting/targeting-editor.tsx';
import { TryContext } from '../../../../../../../components/targeting/try-context.tsx';
import { createSchedule, type ScheduleOutcome } from '../../../../../../../components/schedule/schedule-actions.ts';
import { ScheduleAt, type ScheduleAtProps } from '../../../../../../../components/schedule/schedule-at.tsx';
import type { ApiError, Problem } from '../../../../../../../lib/admin-api.ts';
import { fileConfigChangeRequest, saveConfig, type VersionedConfig, type WriteOutcome } from './actions.ts';
import { reapply } from './reapply.ts';

export interface FlagEditorProps {
  project: string;
  environment: string;
  environmentName: string;
  requireApproval: boolean;
  definition: Flag;
  /** The config as the page loaded it. */
  loaded: VersionedConfig;
  segments: Segment[];
  flags: Array<Pick<Flag, 'key' | 'type' | 'variants'>>;
  otherFlags: SnapshotFlag[];
  canEdit: boolean;
  disabledReason?: string;
}

const configOf = (c: VersionedConfig): FlagConfig => {
  const { version: _v, ...config } = c;
  return config;
};

type Notice =
  | { kind: 'saved'; version: number }
  | { kind: 'filed'; id: string; href: string; status: string }
  | { kind: 'reapplied'; version: number; overlapping: string[] }
  | { kind: 'reloaded'; version: number };

interface Conflict {
  current: VersionedConfig;
}

export function FlagEditor(p: FlagEditorProps) {
  const id = useId();
  const router = useRouter();
  const [base, setBase] = useState<VersionedConfig>(p.loaded);
  const [draft, setDraft] = useState<FlagConfig>(() => configOf(p.loaded));
  // Bumped whenever the draft is replaced from outside the editor (discard, reapply, save).
  const [revision, setRevision] = useState(0);
  const [problems, setProblems] = useState<EditorProblem[]>([]);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [invalidCount, setInvalidCount] = useState(0);
  const [comment, setComment] = useState('');
  const [pending, startTransition] = useTransition();
  const [seenLoaded, setSeenLoaded] = useState(p.loaded);

  const baseConfig = configOf(base);
  const mine = jsonDiff(baseConfig, draft);
  const dirty = mine.length > 0;

  // A newer config loaded by a refresh (the kill switch, say) replaces a draft nobody edited.
  if (seenLoaded !== p.loaded) {
    setSeenLoaded(p.loaded);
    if (!dirty && !conflict && p.loaded.version > base.version) {
      setBase(p.loaded);
      setDraft(configOf(p.loaded));
      setRevision((r) => r + 1);
    }
  }

  const replaceDraft = (nextBase: VersionedConfig, nextDraft: FlagConfig) => {
    setBase(nextBase);
    setDraft(nextDraft);
    setRevision((r) => r + 1);
    setProblems([]);
    setInvalidCount(0);
  };

  const handle = (o: WriteOutcome) => {
    setError(null);
    switch (o.kind) {
      case 'saved':
        replaceDraft(o.config, configOf(o.config));
        setNotice({ kind: 'saved', version: o.config.version });
        router.refresh();
        return;
      case 'filed':
        setProblems([]);
        setInvalidCount(0);
        setComment('');
        setNotice({ kind: 'filed', id: o.id, href: o.href, status: o.status });
        return;
      case 'invalid':
        setProblems(o.problems);
        setInvalidCount(o.problems.length);
        return;
      case 'stale':
        if (o.current) setConflict({ current: o.current });
        else setError(o.error);
        return;
      case 'failed':
        setError(o.error);
        if (o.error.code === 'APPROVAL_REQUIRED') router.refresh();
        return;
    }
  };

  const save = () => {
    setNotice(null);
    startTransition(async () => {
      const target = {
        project: p.project,
        environment: p.environment,
        flag: p.definition.key,
        baseVersion: base.version,
        config: draft,
      };
      handle(p.requireApproval ? await fileConfigChangeRequest({ ...target, comment }) : await saveConfig(target));
    });
  };

  const reapplyOnTop = () => {
    if (!conflict) return;
    const r = reapply(baseConfig, draft, configOf(conflict.current));
    replaceDraft(conflict.current, r.value);
    setConflict(null);
    setNotice({ kind: 'reapplied', version: conflict.current.version, overlapping: r.overlapping });
  };

  const takeTheirs = () => {
    if (!conflict) return;
    replaceDraft(conflict.current, configOf(conflict.current));
    setConflict(null);
    setNotice({ kind: 'reloaded', version: conflict.current.version });
  };

  const discard = () => {
    replaceDraft(base, baseConfig);
    setNotice(null);
    setError(null);
  };

  // A schedule's problems under `config` are shown at the editor's fields (paths relative to the config).
  const submitSchedule: ScheduleAtProps['submit'] = async (at, scheduleComment, change): Promise<ScheduleOutcome> => {
    setNotice(null);
    const o = await createSchedule(
      { project: p.project, environment: p.environment, flag: p.definition.key, at, comment: scheduleComment },
      change === 'config' ? { kind: 'config', config: draft, baseVersion: base.version } : change,
    );
    if (o.kind === 'invalid') {
      const inConfig: Problem[] = o.problems
        .filter((x) => x.path === 'config' || x.path.startsWith('config.'))
        .map((x) => ({ ...x, path: x.path === 'config' ? '' : x.path.slice('config.'.length) }));
      setProblems(inConfig);
      setInvalidCount(inConfig.length);
    } else {
      setProblems([]);
      setInvalidCount(0);
    }
    return o;
  };

  const disabled = !p.canEdit || pending;
  const saveLabel = p.requireApproval ? 'File change request' : 'Save';

  return (
    <div className="stack">
      {p.disabledReason ? (
        <p className="notice" data-testid="read-only">
          {p.disabledReason}
        </p>
      ) : null}
      <p className="muted" data-testid="base-version">
        Editing version {base.version}
        {dirty ? ` · ${mine.length} unsaved ${mine.length === 1 ? 'change' : 'changes'}` : ' · no unsaved changes'}
      </p>

      <div className="stack">
        <div className="row">
          <input
            type="checkbox"
            id={`${id}-enabled`}
            checked={draft.enabled}
            disabled={disabled || conflict !== null}
            aria-describedby={`${id}-enabled-hint`}
            onChange={(e) => {
              setDraft({ ...draft, enabled: e.target.checked });
              setNotice((n) => (n?.kind === 'saved' || n?.kind === 'filed' ? null : n));
            }}
          />
          <label htmlFor={`${id}-enabled`}>Enabled in {p.environmentName}</label>
        </div>
        <p className="hint" id={`${id}-enabled-hint`}>
          On: contexts get what the targeting below decides. Off: everyone gets the off variant.
        </p>
      </div>

      <TargetingEditor
        key={revision}
        definition={p.definition}
        value={draft}
        onChange={(next) => {
          setDraft(next);
          setNotice((n) => (n?.kind === 'saved' || n?.kind === 'filed' ? null : n));
        }}
        segments={p.segments}
        flags={p.flags}
        problems={problems}
        disabled={disabled || conflict !== null}
      />

      {conflict ? (
        <section className="notice stack" aria-labelledby={`${id}-conflict`} data-testid="conflict">
          <h2 id={`${id}-conflict`}>Changed meanwhile</h2>
          <p role="alert">
            Someone saved version {conflict.current.version} of this config while you were editing version{' '}
            {base.version}. Nothing of yours was saved.
          </p>
          <DiffTable
            entries={jsonDiff(baseConfig, configOf(conflict.current))}
            caption={`Changed meanwhile (version ${base.version} → ${conflict.current.version})`}
          />
          <h3>Your edit</h3>
          <DiffTable entries={mine} caption={`Your edit (on version ${base.version})`} />
          <div className="row">
            <button type="button" className="primary" onClick={reapplyOnTop}>
              Reapply my edit on top
            </button>
            <button type="button" onClick={takeTheirs}>
              Drop my edit and load version {conflict.current.version}
            </button>
          </div>
        </section>
      ) : null}

      {dirty && !conflict ? (
        <details>
          <summary>Review your changes ({mine.length})</summary>
          <DiffTable entries={mine} caption={`Your changes to version ${base.version}`} />
        </details>
      ) : null}

      {p.requireApproval ? (
        <div className="stack">
          <label htmlFor={`${id}-comment`}>Comment for the approver</label>
          <textarea
            id={`${id}-comment`}
            rows={3}
            maxLength={10_000}
            value={comment}
            disabled={disabled}
            aria-describedby={`${id}-comment-hint`}
            onChange={(e) => setComment(e.target.value)}
          />
          <p className="hint" id={`${id}-comment-hint`}>
            {p.environmentName} needs approval: saving files a change request that another person approves.
          </p>
        </div>
      ) : null}

      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={disabled || !dirty || conflict !== null}
          onClick={save}
          aria-describedby={`${id}-status`}
        >
          {pending ? 'Working…' : saveLabel}
        </button>
        <button type="button" disabled={disabled || !dirty} onClick={discard}>
          Discard changes
        </button>
      </div>

      <div id={`${id}-status`} role="status" aria-live="polite" data-testid="save-status">
        {notice?.kind === 'saved' ? <p className="ok">Saved (version {notice.version}).</p> : null}
        {notice?.kind === 'filed' ? (
          <p className="ok">
            Change request <a href={notice.href}>#{notice.id}</a> filed ({notice.status}): it applies once another
            person approves it.
          </p>
        ) : null}
        {notice?.kind === 'reapplied' ? (
          <p className="warn">
            Your edit is reapplied on version {notice.version}: review it and save again.
            {notice.overlapping.length > 0
              ? ` Both of you changed ${notice.overlapping.join(', ')}: your values are kept there.`
              : ''}
          </p>
        ) : null}
        {notice?.kind === 'reloaded' ? <p>Loaded version {notice.version}; your edit was dropped.</p> : null}
      </div>
      {invalidCount > 0 ? (
        <p role="alert" className="error" data-testid="invalid-summary">
          Not saved: the API found {invalidCount === 1 ? 'a problem' : `${invalidCount} problems`} in this
          configuration, shown at the fields.
        </p>
      ) : null}
      {error ? <ApiErrorPanel error={error} /> : null}

      <ScheduleAt
        environmentName={p.environmentName}
        requireApproval={p.requireApproval}
        disabled={disabled || conflict !== null}
        dirty={dirty}
        dirtyCount={mine.length}
        baseVersion={base.version}
        enabledNow={base.enabled}
        submit={submitSchedule}
      />

      <TryContext
        definition={p.definition}
        draft={draft}
        otherFlags={p.otherFlags}
        segments={p.segments}
        environment={p.environment}
      />
    </div>
  );
}
