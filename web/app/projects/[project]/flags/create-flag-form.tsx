'use client';
/**
 * Create a flag: key, description, tags, type and variants (boolean flags get on = true and
 * off = false; the other types take rows of name and value, JSON for objects). The flag starts off
 * in every environment; on success the server action opens its targeting editor.
 */
import { useActionState, useId, useState } from 'react';
import { ApiErrorPanel } from '../../../../components/api-error-panel.tsx';
import { createFlag, type CreateFlagState } from './actions.ts';
import styles from './flags.module.css';

const TYPES = ['boolean', 'string', 'number', 'object'] as const;
const PLACEHOLDER: Record<string, string> = { string: 'blue', number: '42', object: '{"color": "blue"}' };

interface Row {
  id: number;
  name: string;
  value: string;
}

export function CreateFlagForm(p: { project: string; disabled: boolean; disabledReason?: string }) {
  const id = useId();
  const [state, action, pending] = useActionState<CreateFlagState, FormData>(createFlag, {});
  const [key, setKey] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [type, setType] = useState<string>('boolean');
  const [rows, setRows] = useState<Row[]>([
    { id: 1, name: '', value: '' },
    { id: 2, name: '', value: '' },
  ]);
  const [nextId, setNextId] = useState(3);
  const setRow = (rowId: number, patch: Partial<Row>) =>
    setRows((rs) => rs.map((r) => (r.id === rowId ? { ...r, ...patch } : r)));
  const problemsAt = (prefix: string) => (state.problems ?? []).filter((x) => x.path.startsWith(prefix));
  const keyProblems = problemsAt('key');
  return (
    <form action={action} className="stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Create a flag</h2>
      {p.disabled && p.disabledReason ? (
        <p className="hint" id={`${id}-why`}>
          {p.disabledReason}
        </p>
      ) : null}
      <input type="hidden" name="project" value={p.project} />
      <fieldset
        disabled={p.disabled || pending}
        className="stack"
        aria-describedby={p.disabled ? `${id}-why` : undefined}
      >
        <legend className="visually-hidden">New flag</legend>
        <label htmlFor={`${id}-key`}>Key</label>
        <input
          id={`${id}-key`}
          name="key"
          required
          value={key}
          onChange={(e) => setKey(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={keyProblems.length > 0 ? true : undefined}
          aria-describedby={`${id}-key-hint`}
        />
        <p className="hint" id={`${id}-key-hint`}>
          Letters, digits, dots, dashes and underscores; a key never changes.
        </p>
        <label htmlFor={`${id}-description`}>Description</label>
        <input
          id={`${id}-description`}
          name="description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
        <label htmlFor={`${id}-tags`}>Tags (comma separated)</label>
        <input
          id={`${id}-tags`}
          name="tags"
          value={tags}
          onChange={(e) => setTags(e.target.value)}
          autoComplete="off"
        />
        <label htmlFor={`${id}-type`}>Type</label>
        <select id={`${id}-type`} name="type" value={type} onChange={(e) => setType(e.target.value)}>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        {type === 'boolean' ? (
          <p className="hint">
            Variants: <code>on</code> = <code>true</code>, <code>off</code> = <code>false</code>.
          </p>
        ) : (
          <table className={styles.variants}>
            <caption>Variants</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value{type === 'object' ? ' (JSON object)' : ''}</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={r.id}>
                  <td>
                    <label htmlFor={`${id}-vn-${r.id}`} className="visually-hidden">
                      Variant {i + 1} name
                    </label>
                    <input
                      id={`${id}-vn-${r.id}`}
                      name="variantName"
                      value={r.name}
                      onChange={(e) => setRow(r.id, { name: e.target.value })}
                      autoComplete="off"
                      spellCheck={false}
                    />
                  </td>
                  <td>
                    <label htmlFor={`${id}-vv-${r.id}`} className="visually-hidden">
                      Variant {i + 1} value
                    </label>
                    <input
                      id={`${id}-vv-${r.id}`}
                      name="variantValue"
                      value={r.value}
                      placeholder={PLACEHOLDER[type]}
                      inputMode={type === 'number' ? 'decimal' : undefined}
                      onChange={(e) => setRow(r.id, { value: e.target.value })}
                      autoComplete="off"
                      spellCheck={false}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="link"
                      disabled={rows.length <= 1}
                      onClick={() => setRows((rs) => rs.filter((x) => x.id !== r.id))}
                    >
                      Remove variant {i + 1}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {type !== 'boolean' ? (
          <div>
            <button
              type="button"
              onClick={() => {
                setRows((rs) => [...rs, { id: nextId, name: '', value: '' }]);
                setNextId((n) => n + 1);
              }}
            >
              Add variant
            </button>
          </div>
        ) : null}
        {state.problems && state.problems.length > 0 ? (
          <div role="alert" className="error-panel">
            <p>
              <strong>The form has problems.</strong>
            </p>
            <ul>
              {state.problems.map((x, i) => (
                <li key={i}>
                  <code>{x.path}</code>: {x.message}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {state.error ? <ApiErrorPanel error={state.error} /> : null}
        <div>
          <button type="submit" className="primary">
            {pending ? 'Creating…' : 'Create flag'}
          </button>
        </div>
      </fieldset>
    </form>
  );
}
