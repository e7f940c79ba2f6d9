/**
 * Server-Sent Events to SDKs, relays and OFREP providers: on every swap of an environment each
 * subscriber of that environment gets one event, and every subscriber a comment heartbeat
 * periodically so idle proxies keep the connection open.
 *
 * Two wire formats on the same hub:
 * - `snapshot` (GET /v1/stream): `event: snapshot` / `data: {"version":N}`;
 * - `ofrep` (GET /ofrep/v1/stream, advertised in bulk responses as an eventStream): the OFREP
 *   ADR-0008 notification `data: {"type":"refetchEvaluation","etag":...,"lastModified":<s>}`.
 */
import type { ServerResponse } from 'node:http';
import type { EnvironmentState } from '../snapshots/environment-state.ts';

/** Which event format a subscriber speaks. */
export type StreamFormat = 'snapshot' | 'ofrep';

/** The SSE connections, per environment. */
export class SseHub {
  private readonly clients = new Map<string, Set<ServerResponse>>();
  private readonly formats = new WeakMap<ServerResponse, StreamFormat>();
  private count = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(heartbeatMs: number) {
    this.timer = setInterval(() => this.heartbeat(), heartbeatMs);
    this.timer.unref();
  }

  /** Open connections. */
  size(): number {
    return this.count;
  }

  /** Takes over `res` as an event stream of `environment`, starting with the current state. */
  add(environment: string, res: ServerResponse, format: StreamFormat, current: EnvironmentState | undefined): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    res.write('retry: 1000\n\n');
    if (current !== undefined) res.write(eventText(format, current));
    let set = this.clients.get(environment);
    if (set === undefined) this.clients.set(environment, (set = new Set()));
    set.add(res);
    this.formats.set(res, format);
    this.count++;
    const remove = () => {
      if (set!.delete(res)) this.count--;
    };
    res.on('close', remove);
    res.on('error', remove);
  }

  /** Tells every subscriber of the state's environment about it. */
  publish(state: EnvironmentState): void {
    const set = this.clients.get(state.environment);
    if (set === undefined || set.size === 0) return;
    let snapshotText: string | undefined;
    let ofrepText: string | undefined;
    for (const res of set) {
      const format = this.formats.get(res);
      const text = format === 'ofrep' ? (ofrepText ??= eventText('ofrep', state)) : (snapshotText ??= eventText('snapshot', state));
      res.write(text);
    }
  }

  private heartbeat(): void {
    for (const set of this.clients.values()) for (const res of set) res.write(': heartbeat\n\n');
  }

  /** Ends every stream and stops the heartbeat. */
  close(): void {
    clearInterval(this.timer);
    for (const set of this.clients.values()) for (const res of set) res.end();
    this.clients.clear();
    this.count = 0;
  }
}

function eventText(format: StreamFormat, state: EnvironmentState): string {
  if (format === 'snapshot') {
    return `id: ${state.version}\nevent: snapshot\ndata: ${JSON.stringify({ version: state.version, etag: state.etag })}\n\n`;
  }
  const data = JSON.stringify({
    type: 'refetchEvaluation',
    etag: state.etag,
    lastModified: Math.floor((state.envelope.publishedAt || state.loadedAt) / 1000),
  });
  return `id: ${state.version}\nevent: message\ndata: ${data}\n\n`;
}
