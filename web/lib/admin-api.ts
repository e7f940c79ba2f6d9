/**
 * The console's one way to the admin API: server components and server actions call it with the
 * signed-in key (never the browser). Every answer comes back as a value, never a throw: pages show
 * an API error or an unreachable API as a message instead of a blank page.
 */
import 'server-only';
import { adminApiBase } from './console-config.ts';
import { currentSession } from './session.ts';

/** A problem the API found at a path of the body (`rules[0].serve.split[1].variant`, `''` = the body). */
export interface Problem {
  path: string;
  message: string;
}

/** The API's error envelope (docs/api.md "Status codes"), plus status 0 when it did not answer. */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  problems?: Problem[];
  currentVersion?: number;
  requestId?: string;
  /** Everything else the error carried (`environments`, `changeRequest`, …). */
  details: Record<string, unknown>;
}

export type ApiResult<T> =
  { ok: true; status: number; data: T; etag: string | undefined } | { ok: false; status: number; error: ApiError };

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Sent as JSON unless `contentType` says otherwise (then it must be a string). */
  body?: unknown;
  contentType?: string;
  /** The version a write is based on, sent as `If-Match: "<version>"`. */
  ifMatch?: number;
  /** Read the answer as text (exports), not JSON. */
  text?: boolean;
  /** Use this token instead of the session's (sign-in checks a key before a session exists). */
  token?: string;
}

const TIMEOUT_MS = 10_000;

function unreachable(message: string): ApiResult<never> {
  return { ok: false, status: 0, error: { status: 0, code: 'API_UNREACHABLE', message, details: {} } };
}

/** Calls `path` (relative to /api/v1, e.g. `/projects`) as the signed-in key. */
export async function callApi<T>(path: string, o: CallOptions = {}): Promise<ApiResult<T>> {
  const token = o.token ?? (await currentSession())?.token;
  if (!token) {
    return {
      ok: false,
      status: 401,
      error: { status: 401, code: 'SIGNED_OUT', message: 'you are signed out: sign in again', details: {} },
    };
  }
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  let body: string | undefined;
  if (o.body !== undefined) {
    headers['content-type'] = o.contentType ?? 'application/json';
    body = o.contentType ? String(o.body) : JSON.stringify(o.body);
  }
  if (o.ifMatch !== undefined) headers['if-match'] = `"${o.ifMatch}"`;
  const url = `${adminApiBase()}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: o.method ?? 'GET',
      headers,
      body,
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return unreachable(
      timedOut
        ? `the admin API did not answer within ${TIMEOUT_MS / 1000} s`
        : 'the admin API is not reachable: is the controller running?',
    );
  }
  const etag = response.headers.get('etag') ?? undefined;
  const raw = await response.text().catch(() => '');
  if (response.ok) {
    if (o.text) return { ok: true, status: response.status, data: raw as T, etag };
    try {
      return { ok: true, status: response.status, data: (raw ? JSON.parse(raw) : null) as T, etag };
    } catch {
      return unreachable(`the admin API answered ${response.status} with a body that is not JSON`);
    }
  }
  let envelope: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(raw) as { error?: Record<string, unknown> };
    if (parsed && typeof parsed.error === 'object' && parsed.error) envelope = parsed.error;
  } catch {
    // Not the API's envelope (a proxy's page, say): the status alone is reported.
  }
  const { code, message, problems, currentVersion, requestId, ...details } = envelope;
  return {
    ok: false,
    status: response.status,
    error: {
      status: response.status,
      code: typeof code === 'string' ? code : `HTTP_${response.status}`,
      message: typeof message === 'string' ? message : `the admin API answered ${response.status}`,
      ...(Array.isArray(problems) ? { problems: problems as Problem[] } : {}),
      ...(typeof currentVersion === 'number' ? { currentVersion } : {}),
      ...(typeof requestId === 'string' ? { requestId } : {}),
      details,
    },
  };
}

/** Path segment encoding for keys taken from URLs and forms. */
export const seg = (s: string) => encodeURIComponent(s);
