/**
 * Server-Sent Events to SDKs, relays and OFREP providers: on every swap of an environment each
 * subscriber of that environment gets one event, and every subscriber a comment heartbeat
 * periodically so idle proxies keep the connection open.
 *
 * Two wire formats on the same hub:
 * - `snapshot` (GET /v1/stream): `event: snapshot` / `data: {"version":N,"etag":"..."}`; a stream
 *   opened with `?include=snapshot` gets, on every change, the effective snapshot itself in the
 *   event (`"snapshot":{...}`) when it is at most `inlineMaxBytes` of JSON, so an SDK applies the
 *   change without a request of its own (a thousand SDKs would otherwise each fetch it at once);
 *   the first event of a stream never carries it (the SDK's conditional fetch on open does);
 *   when the state came from a delta onto the one served before (`ServedEnvironment.sdkDelta`)
 *   and that delta is at most `inlineMaxBytes` of JSON, the event carries it (`"delta":{...}`)
 *   instead: an SDK at the delta's `base` applies it, any other fetches `?since=` (docs/api.md);
 * - `ofrep` (GET /ofrep/v1/stream, advertised in bulk responses as an eventStream): the OFREP
 *   ADR-0008 notification `data: {"type":"refetchEvaluation","etag":...,"lastModified":<s>}`.
 *
 * Limits (docs/operations.md, "Evaluator admission"): at most `maxStreams` open streams per
 * process and `maxPerKey` per SDK key, so one key (a browser key is public) cannot take the
 * process's connections; the caller asks {@link SseHub.admit} before {@link SseHub.add}. A stream
 * belongs to the key that opened it: the swap that drops the key from its environment's snapshot
 * sends that stream a `revoked` event and ends it ({@link SseHub.publish}).
 */
import type { ServerResponse } from 'node:http';
import type { ServedEnvironment } from '../snapshots/served-environment.ts';

/** Which event format a subscriber speaks. */
export type StreamFormat = 'snapshot' | 'ofrep';

/** Why a stream was not admitted; undefined from {@link SseHub.admit} means it may open. */
export type StreamRefusal = 'sse_total' | 'sse_per_key';

/** The caps of one hub. */
export interface SseLimits {
  heartbeatMs: number;
  /** Open streams per process. */
  maxStreams: number;
  /** Open streams per SDK key hash. */
  maxPerKey: number;
  /** The largest snapshot or delta JSON an inline change event carries (0: never inline). */
  inlineMaxBytes: number;
}

interface Subscriber {
  readonly res: ServerResponse;
  readonly format: StreamFormat;
  /** Change events carry the snapshot (format `snapshot`, `?include=snapshot`). */
  readonly inline: boolean;
  /** sha256 of the key that opened the stream (as envelopes list SDK and client keys). */
  readonly keyHash: string;
  /** Frees the stream's place in the counts (idempotent). */
  remove: () => void;
}

/**
 * Streams written per turn of the event loop. A write is ~10-15 us (mostly its syscall), so a
 * change to an environment with thousands of streams would hold the loop for tens of ms in one
 * go; in batches, requests are answered between them (docs/performance.md, "At 10,000 flags").
 */
export const FANOUT_BATCH = 64;

/** One fan-out: what `write` does to each of `subscribers`, in order, from `next` on. */
interface FanOut {
  readonly subscribers: readonly Subscriber[];
  readonly write: (subscriber: Subscriber) => void;
  next: number;
}

/** The SSE connections, per environment. */
export class SseHub {
  private readonly clients = new Map<string, Set<Subscriber>>();
  private readonly perKey = new Map<string, number>();
  private count = 0;
  private revokedCount = 0;
  private readonly timer: NodeJS.Timeout;
  /**
   * Fan-outs not finished yet, oldest first. One at a time, in order, so a stream gets its
   * events in the order of the swaps (an SDK applies deltas onto the version before).
   */
  private readonly fanOuts: FanOut[] = [];
  private draining = false;

  constructor(private readonly limits: SseLimits) {
    this.timer = setInterval(() => this.heartbeat(), limits.heartbeatMs);
    this.timer.unref();
  }

  /** Open connections. */
  size(): number {
    return this.count;
  }

  /** Streams ended because their key was revoked, since start. */
  revoked(): number {
    return this.revokedCount;
  }

  /** Whether a stream of this key may open now: undefined, or which cap it would exceed. */
  admit(keyHash: string): StreamRefusal | undefined {
    if ((this.perKey.get(keyHash) ?? 0) >= this.limits.maxPerKey) return 'sse_per_key';
    if (this.count >= this.limits.maxStreams) return 'sse_total';
    return undefined;
  }

  /**
   * Takes over `res` as an event stream of `environment`, starting with the current state;
   * `extraHeaders` (name, value, ...) go with the stream's own (CORS, http/cors.ts).
   */
  add(
    environment: string,
    keyHash: string,
    res: ServerResponse,
    format: StreamFormat,
    current: ServedEnvironment | undefined,
    extraHeaders: readonly string[] = [],
    inline = false,
  ): void {
    res.writeHead(200, [...Object.entries(STREAM_HEADERS).flat(), ...extraHeaders]);
    res.socket?.setNoDelay(true);
    res.write('retry: 1000\n\n');
    if (current !== undefined) res.write(eventText(format, current));
    let set = this.clients.get(environment);
    if (set === undefined) this.clients.set(environment, (set = new Set()));
    const subscriber: Subscriber = {
      res,
      format,
      inline: inline && format === 'snapshot',
      keyHash,
      remove: () => {
        if (!set.delete(subscriber)) return;
        this.count--;
        const n = (this.perKey.get(keyHash) ?? 1) - 1;
        if (n <= 0) this.perKey.delete(keyHash);
        else this.perKey.set(keyHash, n);
      },
    };
    set.add(subscriber);
    this.perKey.set(keyHash, (this.perKey.get(keyHash) ?? 0) + 1);
    this.count++;
    res.on('close', subscriber.remove);
    res.on('error', subscriber.remove);
  }

  /**
   * Tells every subscriber of the state's environment about it; a subscriber whose key the
   * state no longer lists gets one `revoked` event instead and its stream ends. The first
   * {@link FANOUT_BATCH} streams are written at once, the rest in later turns of the event loop.
   */
  publish(state: ServedEnvironment): void {
    const set = this.clients.get(state.environment);
    if (set === undefined || set.size === 0) return;
    const hashes = state.streamKeyHashes;
    // Built now, from the state as it is at its swap, and encoded once for every stream.
    let snapshotText: Buffer | undefined;
    let ofrepText: Buffer | undefined;
    let inlineText: Buffer | undefined;
    const subscribers = [...set];
    for (const s of subscribers) {
      if (s.format === 'ofrep') ofrepText ??= Buffer.from(eventText('ofrep', state));
      else if (s.inline) inlineText ??= Buffer.from(inlineEventText(state, this.limits.inlineMaxBytes));
      else snapshotText ??= Buffer.from(eventText('snapshot', state));
    }
    this.fanOut(subscribers, (subscriber) => {
      const res = subscriber.res;
      if (!hashes.has(subscriber.keyHash)) {
        this.revokedCount++;
        // Freed now, not at 'close', so the slot is not held while the socket drains.
        subscriber.remove();
        const socket = res.socket;
        res.end(revokedText(state));
        // The connection goes too: a keep-alive socket of a revoked key has nothing left to ask.
        socket?.destroySoon();
        return;
      }
      res.write(subscriber.format === 'ofrep' ? ofrepText! : subscriber.inline ? inlineText! : snapshotText!);
    });
  }

  private heartbeat(): void {
    const subscribers: Subscriber[] = [];
    for (const set of this.clients.values()) for (const s of set) subscribers.push(s);
    this.fanOut(subscribers, (s) => s.res.write(HEARTBEAT));
  }

  /** Queues a fan-out and writes what this turn may; the rest follows on setImmediate. */
  private fanOut(subscribers: readonly Subscriber[], write: (subscriber: Subscriber) => void): void {
    if (subscribers.length === 0) return;
    this.fanOuts.push({ subscribers, write, next: 0 });
    if (!this.draining) this.drain();
  }

  private drain(): void {
    let budget = FANOUT_BATCH;
    while (budget > 0 && this.fanOuts.length > 0) {
      const job = this.fanOuts[0]!;
      while (budget > 0 && job.next < job.subscribers.length) {
        const subscriber = job.subscribers[job.next++]!;
        // A stream that ended since the fan-out began is skipped.
        if (subscriber.res.writableEnded || subscriber.res.destroyed) continue;
        budget--;
        job.write(subscriber);
      }
      if (job.next >= job.subscribers.length) this.fanOuts.shift();
    }
    this.draining = this.fanOuts.length > 0;
    if (this.draining) setImmediate(() => this.drain());
  }

  /** Ends every stream and stops the heartbeat. */
  close(): void {
    clearInterval(this.timer);
    this.fanOuts.length = 0;
    for (const set of this.clients.values()) for (const s of set) s.res.end();
    this.clients.clear();
    this.perKey.clear();
    this.count = 0;
  }
}

const HEARTBEAT = Buffer.from(': heartbeat\n\n');

/** The response headers of a stream (also the answer to HEAD, which opens none). */
export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

function eventText(format: StreamFormat, state: ServedEnvironment): string {
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

/**
 * A change event with the state's delta inline when it has one of at most `maxBytes`, else with
 * the effective snapshot inline, else the plain event. The snapshot JSON is the state's cached
 * `snapshotJson`, the body `/v1/snapshot` answers with, so serializing it is no extra work: the
 * subscribers would fetch it otherwise. A delta is tried first: serializing it costs what it
 * touches, where the snapshot of a 10,000-flag environment is ~5 MB (tens of ms to serialize).
 */
export function inlineEventText(
  state: Pick<ServedEnvironment, 'version' | 'etag' | 'sdkDelta' | 'view' | 'snapshotJsonBuilt'> & {
    readonly snapshotJson: string;
  },
  maxBytes: number,
): string {
  const plain = `id: ${state.version}\nevent: snapshot\ndata: ${JSON.stringify({ version: state.version, etag: state.etag })}\n\n`;
  if (maxBytes === 0) return plain;
  const head = JSON.stringify({ version: state.version, etag: state.etag });
  const delta = state.sdkDelta;
  if (delta !== undefined && delta.version === state.version) {
    const json = JSON.stringify(delta);
    if (Buffer.byteLength(json) <= maxBytes)
      return `id: ${state.version}\nevent: snapshot\ndata: ${head.slice(0, -1)},"delta":${json}}\n\n`;
  }
  // No flag's JSON is shorter than 32 bytes: an environment with more than maxBytes / 32 flags
  // cannot fit, and its JSON is not built for nothing on the swap's turn (tens of ms at 10,000).
  const json =
    state.snapshotJsonBuilt ?? (state.view.engine.flagKeys.length <= maxBytes / 32 ? state.snapshotJson : undefined);
  if (json === undefined || Buffer.byteLength(json) > maxBytes) return plain;
  return `id: ${state.version}\nevent: snapshot\ndata: ${head.slice(0, -1)},"snapshot":${json}}\n\n`;
}

/**
 * The last event of a revoked key's stream, in both formats: a named event no client confuses
 * with data (EventSource dispatches it only to a `revoked` listener). The client's reconnect,
 * after the `retry` interval, then gets 401.
 */
function revokedText(state: ServedEnvironment): string {
  return `event: revoked\ndata: ${JSON.stringify({ reason: 'the SDK key of this stream was revoked', version: state.version })}\n\n`;
}
