import type { DiffEntry } from '@flagship/evaluator';

/** A value of a diff as short JSON text (rendered as text, never markup). */
function show(v: unknown): string {
  if (v === undefined) return '—';
  const s = JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 297)}…` : s;
}

/**
 * Only what changed: one row per JSON pointer with its old and new value ("path, old -> new"),
 * as the audit log, a flag's history, change requests, conflicts and import dry runs show it.
 */
export function DiffTable({ entries, caption }: { entries: DiffEntry[]; caption: string }) {
  if (entries.length === 0) return <p className="muted">No changes.</p>;
  return (
    <table className="diff">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Path</th>
          <th scope="col">Old</th>
          <th scope="col">New</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e, i) =>
          e.omitted !== undefined ? (
            <tr key={i}>
              <td colSpan={3} className="muted">
                … and {e.omitted} more changes not listed
              </td>
            </tr>
          ) : (
            <tr key={i}>
              <td>
                <code>{e.path || '/'}</code>
              </td>
              <td className="old">
                <code>{show(e.old)}</code>
              </td>
              <td className="new">
                <code>{show(e.new)}</code>
              </td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}
