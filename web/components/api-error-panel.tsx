import type { ApiError } from '../lib/admin-api.ts';

/**
 * The API's answer to a failed call, in words: its message and code, the problems it named, and
 * the request id to find it in the controller's log. Used by every page and form.
 */
export function ApiErrorPanel({ error, title }: { error: ApiError; title?: string }) {
  const heading =
    title ??
    (error.status === 0
      ? 'The admin API is not answering'
      : error.status === 403
        ? 'Not allowed'
        : error.status === 404
          ? 'Not found'
          : 'The admin API refused this');
  return (
    <div role="alert" className="error-panel">
      <p>
        <strong>{heading}.</strong> {error.message}{' '}
        <span className="muted">
          ({error.status ? `${error.status} ` : ''}
          {error.code}
          {error.requestId ? `, request ${error.requestId}` : ''})
        </span>
      </p>
      {error.problems && error.problems.length > 0 ? (
        <ul>
          {error.problems.map((p, i) => (
            <li key={i}>
              <code>{p.path || '(the whole document)'}</code>: {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
