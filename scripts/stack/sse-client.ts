/**
 * A minimal client of the evaluator's `GET /v1/stream` (events `snapshot`, data `{"version":N}`),
 * on node:http so a thousand of them cost little: it only extracts versions.
 */
import { type ClientRequest, request } from 'node:http';

export interface SseSubscription {
  close(): void;
  /** Resolves when the response headers arrived (rejects on a non-200). */
  opened: Promise<void>;
}

/** Calls `onVersion` for every snapshot event; `onEnd` when the stream ends or fails. */
export function subscribeSnapshots(
  url: string,
  sdkKey: string,
  onVersion: (version: number) => void,
  onEnd?: (error?: Error) => void,
): SseSubscription {
  let req: ClientRequest | undefined;
  let closed = false;
  const opened = new Promise<void>((resolve, reject) => {
    req = request(
      url,
      { headers: { authorization: `Bearer ${sdkKey}`, accept: 'text/event-stream' }, agent: false },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${url} -> HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        resolve();
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (event.includes('event: snapshot')) {
              const m = /"version":(\d+)/.exec(event);
              if (m) onVersion(Number(m[1]));
            }
            end = buffer.indexOf('\n\n');
          }
        });
        res.on('end', () => {
          if (!closed) onEnd?.();
        });
        res.on('error', (e) => {
          if (!closed) onEnd?.(e);
        });
      },
    );
    req.on('error', (e) => {
      reject(e);
      if (!closed) onEnd?.(e);
    });
    req.end();
  });
  opened.catch(() => {});
  return {
    opened,
    close() {
      closed = true;
      req?.destroy();
    },
  };
}
