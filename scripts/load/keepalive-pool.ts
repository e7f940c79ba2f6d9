/**
 * A minimal HTTP/1.1 keep-alive client over node:net for the load process: it writes a prebuilt
 * request and reads back only the status, Retry-After and the body's length. undici or node:http
 * spend several times the server's own cost per request on the client side; on a 2-core machine
 * with the server beside it, the client would be the bottleneck and no overload would ever reach
 * the server (docs/performance.md, "Spike"). One request per connection at a time (no pipelining),
 * as an HTTP client's pool does: a request waits only in the server's socket, not behind another.
 */
import { connect, type Socket } from 'node:net';

/** Called once per request: status 0 when no answer came (connection error, timeout). */
export type OnAnswer = (status: number, retryAfter: boolean) => void;

interface Connection {
  socket: Socket;
  busy: boolean;
  onAnswer: OnAnswer | undefined;
  buffer: Buffer | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Counted out of `open` (its error and close events both arrive). */
  gone: boolean;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n');

/**
 * Idle connections, oldest first: reused in turn (FIFO), so each one carries a request every
 * few seconds even at a baseline rate. A LIFO pool would leave most of them idle past the
 * server's keep-alive timeout (5 s in Node); closed there, they would be reopened all at once
 * when the spike comes.
 */
class IdleQueue {
  private items: Connection[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(c: Connection): void {
    this.items.push(c);
  }

  shift(): Connection | undefined {
    if (this.head >= this.items.length) return undefined;
    const c = this.items[this.head++];
    // Compact now and then: shifting an array is O(n), a head index is not.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return c;
  }

  remove(c: Connection): void {
    const i = this.items.indexOf(c, this.head);
    if (i >= 0) this.items.splice(i, 1);
  }

  drain(): Connection[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
}

export class KeepAlivePool {
  private readonly idle = new IdleQueue();
  private open = 0;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxConnections: number,
    private readonly timeoutMs: number,
  ) {}

  /** Connections open now (idle or busy). */
  get connections(): number {
    return this.open;
  }

  /**
   * Opens `n` idle connections before the load starts (k6's preAllocatedVUs), 100 at a time, each
   * batch bounded by 10 s. Connections opened in the middle of a spike would overflow the server's
   * listen backlog and wait out TCP's SYN retries (1, 3, 7 s): a client artefact, not the server's.
   */
  async preallocate(n: number): Promise<void> {
    const want = Math.min(n, this.maxConnections);
    for (let opened = 0; opened < want;) {
      const batch = Math.min(100, want - opened);
      await Promise.all(Array.from({ length: batch }, () => this.openIdle()));
      opened += batch;
    }
  }

  private openIdle(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const c = this.connection();
      const t = setTimeout(() => reject(new Error(`connect to ${this.host}:${this.port} took over 10 s`)), 10_000);
      c.socket.once('connect', () => {
        clearTimeout(t);
        this.idle.push(c);
        resolve();
      });
      c.socket.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  /**
   * Sends `request` on an idle connection (a new one while under the cap). False when every
   * connection is busy and the cap is reached: the caller counts a dropped iteration, as k6 does
   * when no VU is free.
   */
  send(request: Buffer, onAnswer: OnAnswer): boolean {
    if (this.closed) return false;
    let c = this.idle.shift();
    if (c === undefined) {
      if (this.open >= this.maxConnections) return false;
      c = this.connection();
    }
    c.busy = true;
    c.onAnswer = onAnswer;
    c.timer = setTimeout(() => this.fail(c), this.timeoutMs);
    c.socket.write(request);
    return true;
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle.drain()) c.socket.destroy();
  }

  private connection(): Connection {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    const c: Connection = {
      socket,
      busy: false,
      onAnswer: undefined,
      buffer: undefined,
      timer: undefined,
      gone: false,
    };
    this.open++;
    socket.on('data', (chunk: Buffer) => this.onData(c, chunk));
    socket.on('error', () => this.fail(c));
    socket.on('close', () => this.fail(c));
    return c;
  }

  private onData(c: Connection, chunk: Buffer): void {
    const buf = c.buffer === undefined ? chunk : Buffer.concat([c.buffer, chunk]);
    const headerEnd = buf.indexOf(HEADER_END);
    if (headerEnd < 0) {
      c.buffer = buf;
      return;
    }
    const head = buf.toString('latin1', 0, headerEnd).toLowerCase();
    const bodyStart = headerEnd + 4;
    const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
    let complete: boolean;
    if (length !== null) complete = buf.length >= bodyStart + Number(length[1]);
    else if (head.includes('\r\ntransfer-encoding: chunked')) complete = buf.indexOf(CHUNKED_END, bodyStart - 2) >= 0;
    else complete = true; // no body (204, 304)
    if (!complete) {
      c.buffer = buf;
      return;
    }
    c.buffer = undefined;
    const status = Number(head.slice(9, 12));
    const retryAfter = head.includes('\r\nretry-after:');
    const onAnswer = c.onAnswer;
    this.settle(c);
    if (head.includes('\r\nconnection: close')) c.socket.destroy();
    else if (!this.closed) this.idle.push(c);
    else c.socket.destroy();
    onAnswer?.(Number.isInteger(status) ? status : 0, retryAfter);
  }

  /** A connection error, close or timeout: its request (if any) gets status 0; the connection is gone. */
  private fail(c: Connection): void {
    if (c.gone) return;
    c.gone = true;
    this.open--;
    const onAnswer = c.busy ? c.onAnswer : undefined;
    this.settle(c);
    c.socket.destroy();
    this.idle.remove(c);
    onAnswer?.(0, false);
  }

  private settle(c: Connection): void {
    if (c.timer !== undefined) clearTimeout(c.timer);
    c.timer = undefined;
    c.busy = false;
    c.onAnswer = undefined;
  }
}
