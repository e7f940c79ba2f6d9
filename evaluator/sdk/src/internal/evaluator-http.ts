/**
 * The two requests the SDK makes of an evaluator (docs/sdk.md): `GET /v1/snapshot[?since=N]` with
 * `If-None-Match` (200 with an ETag and the snapshot, or the delta from N; or 304) and
 * `GET /v1/stream?include=snapshot` (Server-Sent Events, `event: snapshot` with
 * `{"version","etag"}`, and on a change the delta or the snapshot itself when it is small
 * enough), both with `Authorization: Bearer <server SDK key>`.
 *
 * On node:http(s) rather than fetch so the sockets can be unref'd: an SDK's open stream must not
 * keep a service's process alive after everything else has finished.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SseParser, type SseEvent } from './sse-parser.ts';

/** Why a request failed, for status and logs; `fatal` when retrying the same key cannot help (401, 403). */
export class EvaluatorRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly fatal: boolean,
  ) {
    super(message);
    this.name = 'EvaluatorRequestError';
  }
}

/** The answer to a snapshot request: unchanged (304), or the body and its ETag. */
export type SnapshotAnswer = { changed: false } | { changed: true; etag: string; body: string };

function send(url: URL, sdkKey: string, headers: Record<string, string>): ClientRequest {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = request(url, {
    headers: { authorization: `Bearer ${sdkKey}`, ...headers },
    // One connection per request: a stream holds its socket for hours, and an unref'd socket
    // must not go back to a shared pool where a later request would inherit the unref.
    agent: false,
  });
  req.on('socket', (socket) => socket.unref());
  return req;
}

function refusal(res: IncomingMessage, body: string, what: string): EvaluatorRequestError {
  const status = res.statusCode ?? 0;
  return new EvaluatorRequestError(
    `${what}: HTTP ${status}${body ? ` ${body.slice(0, 200)}` : ''}`,
    status,
    status === 401 || status === 403,
  );
}

/**
 * GET /v1/snapshot, with `?since=` the held version when given (the answer may then be a delta);
 * rejects with {@link EvaluatorRequestError} on anything but 200 or 304.
 */
export function fetchSnapshot(
  base: string,
  sdkKey: string,
  etag: string | undefined,
  timeoutMs: number,
  since?: number,
): Promise<SnapshotAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(since === undefined ? '/v1/snapshot' : `/v1/snapshot?since=${since}`, base);
    const req = send(url, sdkKey, etag === undefined ? {} : { 'if-none-match': etag });
    const timer = setTimeout(
      () =>
        req.destroy(new EvaluatorRequestError(`${url.origin}: no snapshot within ${timeoutMs} ms`, undefined, false)),
      timeoutMs,
    );
    timer.unref();
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(
        e instanceof EvaluatorRequestError
          ? e
          : new EvaluatorRequestError(`${url.origin}: ${e.message}`, undefined, false),
      );
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let body = '';
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        if (res.statusCode === 304) resolve({ changed: false });
        else if (res.statusCode === 200) resolve({ changed: true, etag: String(res.headers.etag ?? ''), body });
        else reject(refusal(res, body, `${url.origin}/v1/snapshot`));
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(new EvaluatorRequestError(`${url.origin}: ${e.message}`, undefined, false));
      });
    });
    req.end();
  });
}

/** What a stream's owner hears. */
export interface StreamHandlers {
  /** The stream answered 200: it is live. */
  onOpen(): void;
  /**
   * A `snapshot` event: the version the evaluator serves now, its ETag, and what it carries
   * inline: the delta onto the previous version, or the snapshot (or nothing).
   */
  onSnapshot(version: number, etag: string | undefined, inline: object | undefined): void;
  /** The stream ended or failed (never called after `close()`). */
  onEnd(error: EvaluatorRequestError): void;
}

/** An open stream request. */
export interface EventStream {
  close(): void;
}

/**
 * GET /v1/stream. `idleMs`: with nothing received for that long (the evaluator sends a heartbeat
 * comment every 15 s by default) the connection counts as dead: a partition closes no socket.
 */
export function openStream(base: string, sdkKey: string, idleMs: number, h: StreamHandlers): EventStream {
  const url = new URL('/v1/stream?include=snapshot', base);
  let closed = false;
  let ended = false;
  let idle: NodeJS.Timeout | undefined;
  const req = send(url, sdkKey, { accept: 'text/event-stream' });
  const end = (error: EvaluatorRequestError) => {
    if (idle !== undefined) clearTimeout(idle);
    if (closed || ended) return;
    ended = true;
    req.destroy();
    h.onEnd(error);
  };
  const alive = () => {
    if (idle !== undefined) clearTimeout(idle);
    idle = setTimeout(
      () => end(new EvaluatorRequestError(`${url.origin}: stream silent for ${idleMs} ms`, undefined, false)),
      idleMs,
    );
    idle.unref();
  };
  alive();
  req.on('error', (e) => end(new EvaluatorRequestError(`${url.origin}: ${e.message}`, undefined, false)));
  req.on('response', (res) => {
    res.setEncoding('utf8');
    if (res.statusCode !== 200) {
      let body = '';
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => end(refusal(res, body, `${url.origin}${url.pathname}`)));
      return;
    }
    const parser = new SseParser((e: SseEvent) => {
      if (e.event === 'revoked') {
        end(new EvaluatorRequestError(`${url.origin}: the SDK key was revoked`, 401, true));
        return;
      }
      if (e.event !== 'snapshot') return;
      try {
        const data = JSON.parse(e.data) as { version?: unknown; etag?: unknown; snapshot?: unknown; delta?: unknown };
        const carried = data.delta ?? data.snapshot;
        const inline = typeof carried === 'object' && carried !== null ? carried : undefined;
        if (typeof data.version === 'number')
          h.onSnapshot(data.version, typeof data.etag === 'string' ? data.etag : undefined, inline);
      } catch {
        // A malformed event is skipped; the next one (or the periodic check) heals it.
      }
    });
    alive();
    if (!closed) h.onOpen();
    res.on('data', (chunk: string) => {
      alive();
      parser.push(chunk);
    });
    res.on('end', () => end(new EvaluatorRequestError(`${url.origin}: stream ended`, undefined, false)));
    res.on('error', (e) => end(new EvaluatorRequestError(`${url.origin}: ${e.message}`, undefined, false)));
  });
  req.end();
  return {
    close() {
      closed = true;
      if (idle !== undefined) clearTimeout(idle);
      req.destroy();
    },
  };
}
