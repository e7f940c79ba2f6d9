/**
 * The propagation benchmark's request load (a child of propagation-bench.ts): CONCURRENCY loops
 * per evaluator, each sending single-flag OFREP evaluations over a keep-alive connection, paced
 * so each evaluator gets RATE requests a second (a steady load, not a saturating one: a saturated
 * evaluator queues the change behind requests and measures the queue), and recording each
 * answer's latency. What it measures is the stall a change causes: the longest answer while
 * changes are applied (`evaluator_max_stall_ms_10k`).
 *
 * IPC in: {type:'reset'} (forget what was recorded), {type:'report'}, {type:'stop'}.
 * IPC out: {type:'ready'} once every loop has had an answer; {type:'report', max, p99, p999,
 * count, shed, errors, slowest}; {type:'error', message}. `slowest`: the SLOWEST_KEPT slowest
 * answers (epoch ms sent, evaluator index, ms), to place a stall against the changes.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const urls = (process.env.EVALUATOR_URLS ?? '').split(',').filter(Boolean);
const sdkKey = process.env.SDK_KEY ?? '';
const flag = process.env.FLAG ?? '';
const concurrency = Number(process.env.CONCURRENCY ?? 2);
const rate = Number(process.env.RATE ?? 250);
if (urls.length === 0 || !sdkKey || !flag || !Number.isInteger(concurrency) || concurrency < 1 || !(rate > 0)) {
  process.send?.({ type: 'error', message: 'EVALUATOR_URLS, SDK_KEY, FLAG, CONCURRENCY and RATE are required' });
  process.exit(2);
}

const body = '{"context":{"targetingKey":"user-1","country":"NL"}}';
let latencies: number[] = [];
const SLOWEST_KEPT = 8;
let slowest: Array<{ at: number; evaluator: number; ms: number }> = [];
let shed = 0;
let errors = 0;
let running = true;
let answered = 0;
const sockets = new Set<Socket>();

/**
 * One keep-alive connection sending the same request, one at a time, on a raw socket: node:http's
 * client spent about a third of a core at 1,000 requests/s, CPU the evaluators it measures then
 * lacked on this 2-core machine. Answers are read by Content-Length (the evaluator sends it).
 */
class Connection {
  private socket: Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { resolve: (status: number) => void; reject: (e: Error) => void } | undefined;
  private readonly request: Buffer;

  constructor(private readonly base: string) {
    const u = new URL(`${base}/ofrep/v1/evaluate/flags/${flag}`);
    this.request = Buffer.from(
      `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${sdkKey}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  /** Sends the request; resolves with the answer's HTTP status once its whole body arrived. */
  send(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error('timed out')), 10_000);
      this.pending = {
        resolve: (status) => {
          clearTimeout(timer);
          resolve(status);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      (this.socket ??= this.open()).write(this.request);
    });
  }

  private open(): Socket {
    const u = new URL(this.base);
    const socket = connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    sockets.add(socket);
    // Events of a socket this connection already gave up are ignored.
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.parse();
    });
    socket.on('error', (e) => this.socket === socket && this.fail(e));
    socket.on('close', () => this.socket === socket && this.fail(new Error('connection closed')));
    return socket;
  }

  private parse(): void {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(length)) return this.fail(new Error('an answer without Content-Length'));
    if (this.buffered.length < end + 4 + length) return;
    this.buffered = this.buffered.subarray(end + 4 + length);
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(Number(head.slice(9, 12)));
  }

  private fail(e: Error): void {
    this.socket?.destroy();
    if (this.socket !== undefined) sockets.delete(this.socket);
    this.socket = undefined;
    this.buffered = Buffer.alloc(0);
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(e);
  }
}

async function loop(base: string): Promise<void> {
  const connection = new Connection(base);
  // Bounded: 10 minutes of requests at most, whatever the parent does.
  const until = Date.now() + 600_000;
  const interval = (1000 * concurrency) / rate;
  let next = performance.now() + Math.random() * interval;
  let first = true;
  while (running && Date.now() < until) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // A late loop does not catch up in a burst: the schedule moves on from now.
    next = Math.max(next + interval, performance.now());
    const t0 = performance.now();
    try {
      const status = await connection.send();
      const ms = performance.now() - t0;
      if (status === 200) latencies.push(ms);
      else if (status === 429) shed++;
      else errors++;
      if (slowest.length < SLOWEST_KEPT || ms > slowest.at(-1)!.ms) {
        slowest.push({ at: performance.timeOrigin + t0, evaluator: urls.indexOf(base), ms });
        slowest = slowest.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_KEPT);
      }
    } catch {
      errors++;
      await new Promise((r) => setTimeout(r, 10));
    }
    if (first) {
      first = false;
      if (++answered === urls.length * concurrency) process.send?.({ type: 'ready' });
    }
  }
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'reset') {
    latencies = [];
    slowest = [];
    shed = 0;
    errors = 0;
  } else if (m.type === 'report') {
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
    process.send?.({
      type: 'report',
      max: sorted.at(-1) ?? 0,
      p99: at(0.99),
      p999: at(0.999),
      count: sorted.length,
      shed,
      errors,
      slowest,
    });
  } else if (m.type === 'stop') {
    running = false;
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});

for (const u of urls) for (let i = 0; i < concurrency; i++) void loop(u);
