'use client';
import { useState, useTransition } from 'react';
import { ApiErrorPanel } from '../../../../../../components/api-error-panel.tsx';
import { ConfirmDialog } from '../../../../../../components/confirm-dialog.tsx';
import { importDocument } from './actions.ts';
import styles from './flags-as-code.module.css';
import { changeRows, type ImportOutcome, type ImportRequest, type ImportResult, MAX_IMPORT_BYTES } from './model.ts';

export interface ImportFormProps {
  project: string;
  environment: string;
  environmentName: string;
  /** The key may import here (editor in this environment). */
  editable: boolean;
  /** The key has no environment list (creating, archiving, redefining flags is project-wide). */
  unrestricted: boolean;
  requireApproval: boolean;
}

function ResultView({ result, heading }: { result: ImportResult; heading: string }) {
  const { rows, unchanged } = changeRows(result);
  const f = result.summary.flags;
  const s = result.summary.segments;
  return (
    <section aria-labelledby={`${heading}-h`} className="stack">
      <h3 id={`${heading}-h`}>{result.dryRun ? 'Dry run: what applying would change' : 'Import applied'}</h3>
      <p data-testid={`${heading}-summary`}>
        Flags: {f.created} created, {f.updated} updated, {f.archived} archived, {f.unchanged} unchanged. Segments:{' '}
        {s.created} created, {s.updated} updated, {s.deleted} deleted, {s.unchanged} unchanged.
      </p>
      {rows.length === 0 ? (
        <p>Nothing would change: the document matches the environment.</p>
      ) : (
        <table className="diff">
          <caption>{result.dryRun ? 'Changes the import would make' : 'Changes made'}</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Key</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.kind}:${r.key}`} data-change={r.change}>
                <td>{r.kind}</td>
                <td>
                  <code>{r.key}</code>
                </td>
                <td>
                  <span
                    className={
                      r.change === 'archived' || r.change === 'deleted'
                        ? 'badge danger'
                        : r.change === 'created'
                          ? 'badge on'
                          : 'badge'
                    }
                  >
                    {r.change}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {unchanged.flags + unchanged.segments > 0 ? (
        <p className="muted">
          Not listed: {unchanged.flags} unchanged flag{unchanged.flags === 1 ? '' : 's'} and {unchanged.segments}{' '}
          unchanged segment{unchanged.segments === 1 ? '' : 's'}.
        </p>
      ) : null}
    </section>
  );
}

function Needs({ result, unrestricted }: { result: ImportResult; unrestricted: boolean }) {
  const needs = result.needs ?? { projectWide: [], approval: [] };
  if (needs.projectWide.length === 0 && needs.approval.length === 0) return null;
  return (
    <div className="notice" role="note" aria-label="What applying needs">
      {needs.projectWide.length > 0 ? (
        <>
          <p className="warn">
            <strong>Project-wide parts</strong> (they need a key without an environment list
            {unrestricted ? ', which yours is' : '; yours has one, so the API will refuse them'}):
          </p>
          <ul>
            {needs.projectWide.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </>
      ) : null}
      {needs.approval.length > 0 ? (
        <p className="warn">
          <strong>Needs approval:</strong> it changes {needs.approval.join(', ')}, where changes need an approved change
          request; applying it directly will be refused.
        </p>
      ) : null}
    </div>
  );
}

/** The server action, with a failure to reach it (the console's body limit, a dropped connection) as an outcome. */
async function send(req: ImportRequest): Promise<ImportOutcome> {
  try {
    return await importDocument(req);
  } catch (e) {
    return {
      ok: false,
      error: {
        status: 0,
        code: 'CONSOLE_REQUEST_FAILED',
        message: `the console could not send the document to its server: ${e instanceof Error ? e.message : String(e)}`,
        details: {},
      },
    };
  }
}

/** Paste or load a document, dry-run it, see the diff, then apply it behind a dialog. */
export function ImportForm(p: ImportFormProps) {
  const [text, setText] = useState('');
  const [fileError, setFileError] = useState('');
  const [dry, setDry] = useState<{ outcome: ImportOutcome; forText: string } | undefined>(undefined);
  const [applied, setApplied] = useState<ImportOutcome | undefined>(undefined);
  const [pending, startTransition] = useTransition();
  const target = { project: p.project, environment: p.environment };
  const dryCurrent = dry !== undefined && dry.forText === text;
  const canApply = p.editable && dryCurrent && dry.outcome.ok;
  const runDry = () => {
    const forText = text;
    setApplied(undefined);
    startTransition(async () => {
      const outcome = await send({ ...target, document: forText, dryRun: true });
      setDry({ outcome, forText });
    });
  };
  const disabledWhy = !p.editable
    ? 'Importing needs an editor key for this environment.'
    : 'Run a dry run of the document as it is now first.';
  return (
    <section aria-labelledby="import-heading" className="stack">
      <h2 id="import-heading">Import</h2>
      <p className="hint">
        Import is declarative and all-or-nothing: flags the document lists are created or updated,{' '}
        <strong>flags of the project it does not list are archived</strong>, and segments of {p.environmentName} it does
        not list are deleted. A dry run shows the changes and writes nothing.
      </p>
      {!p.editable ? (
        <p className="notice">Your key cannot import into this environment (an editor key for it can).</p>
      ) : null}
      <label htmlFor="import-document">Document (YAML or JSON)</label>
      <textarea
        id="import-document"
        className={`code ${styles.document}`}
        value={text}
        onChange={(e) => setText(e.target.value)}
        rows={18}
        spellCheck={false}
        disabled={!p.editable}
        aria-describedby="import-document-hint"
      />
      <p id="import-document-hint" className="hint">
        JSON when it starts with <code>{'{'}</code>, YAML otherwise; at most 10 MiB.
      </p>
      <label htmlFor="import-file">Or load a file</label>
      <input
        id="import-file"
        type="file"
        accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
        disabled={!p.editable}
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          setFileError('');
          if (!file) return;
          if (file.size > MAX_IMPORT_BYTES) {
            setFileError(`${file.name} is larger than 10 MiB: the API refuses imports that large.`);
            return;
          }
          file.text().then(setText, () => setFileError(`${file.name} could not be read.`));
        }}
      />
      {fileError ? (
        <p role="alert" className="error">
          {fileError}
        </p>
      ) : null}
      <div className="row">
        <button type="button" onClick={runDry} disabled={!p.editable || pending || text.trim() === ''}>
          {pending ? 'Working…' : 'Dry run'}
        </button>
        <ConfirmDialog
          triggerLabel="Apply import"
          triggerClassName="primary"
          title={`Apply this import to ${p.environmentName}?`}
          description={
            dry?.outcome.ok ? (
              <>
                <p>
                  It writes everything the dry run listed, in one transaction
                  {dry.outcome.result.summary.flags.archived > 0
                    ? `, and archives ${dry.outcome.result.summary.flags.archived} flag(s) the document does not list`
                    : ''}
                  {dry.outcome.result.summary.segments.deleted > 0
                    ? `, and deletes ${dry.outcome.result.summary.segments.deleted} segment(s)`
                    : ''}
                  .
                </p>
                <p className="warn">Flags of the project the document does not list are archived.</p>
              </>
            ) : (
              <p>Run a dry run first.</p>
            )
          }
          confirmLabel="Apply import"
          typeToConfirm={p.requireApproval ? p.environmentName : undefined}
          disabled={!canApply || pending}
          disabledReason={disabledWhy}
          action={async () => {
            const outcome = await send({ ...target, document: dry?.forText ?? text, dryRun: false });
            setApplied(outcome);
            if (outcome.ok) setDry(undefined);
            return outcome.ok
              ? { ok: true }
              : { error: `${outcome.error.message} (${outcome.error.status} ${outcome.error.code})` };
          }}
        />
      </div>
      {dry && !dryCurrent ? (
        <p className="warn" role="status">
          The document changed since the dry run: run it again before applying.
        </p>
      ) : null}
      <div aria-live="polite" className="stack">
        {applied ? (
          applied.ok ? (
            <>
              <p role="status" className="ok">
                Imported into {applied.result.environment}.
              </p>
              <ResultView result={applied.result} heading="applied" />
            </>
          ) : (
            <ApiErrorPanel error={applied.error} title="The import was not applied" />
          )
        ) : null}
        {dry ? (
          dry.outcome.ok ? (
            <>
              <ResultView result={dry.outcome.result} heading="dry-run" />
              <Needs result={dry.outcome.result} unrestricted={p.unrestricted} />
            </>
          ) : (
            <ApiErrorPanel error={dry.outcome.error} title="The dry run found problems" />
          )
        ) : null}
      </div>
    </section>
  );
}
