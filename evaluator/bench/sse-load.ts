/**
 * The propagation benchmark's load process (a child of propagation-bench.ts, so the thousand
 * streams do not share an event loop with the measuring process). Opens `SUBSCRIBERS` SSE
 * streams spread round-robin over the evaluators, and reports over IPC, for every snapshot
 * version, the wall-clock time at which the LAST subscriber had received it (or a newer one).
 *
 * IPC out: {type:'ready'} once every stream is open; {type:'complete', version, at} per version;
 * {type:'error', message}. IPC in: {type:'stop'}.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const urls = (process.env.EVALUATOR_URLS ?? '').split(',').filter(Boolean);
const sdkKey = process.env.SDK_KEY ?? '';
const total = Number(process.env.SUBSCRIBERS ?? 1000);
if (urls.length === 0 || !sdkKey || !Number.isInteger(total) || total < 1) {
  process.send?.({ type: 'error', message: 'EVALUATOR_URLS, SDK_KEY and SUBSCRIBERS are required' });
  process.exit(2);
}
const now = () => performance.timeOrigin + performance.now();

const latest = new Int32Array(total);
/** version -> subscribers that have it (or newer). */
const have = new Map<number, number>();
let maxReported = 0;
const subs: RawStream[] = [];

interface RawStream {
  socket: Socket;
  close(): void;
}

const MARK = '"version":';

/**
 * One stream on a raw socket: a thousand node:http clients spend more CPU in the HTTP parser and
 * stream machinery than the evaluators spend sending, which would measure the load generator.
 * The response is scanned for `"version":N` (one event per chunk; a split event is carried over).
 */
function openRaw(base: string, i: number): Promise<RawStream> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    let headersDone = false;
    let carry = '';
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      socket.write(
        `GET /v1/stream HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${sdkKey}\r\nAccept: text/event-stream\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: string) => {
      let text = carry + chunk;
      if (!headersDone) {
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) {
          carry = text;
          return;
        }
        const status = text.slice(9, 12);
        if (status !== '200') {
          socket.destroy();
          reject(new Error(`${base}/v1/stream -> HTTP ${status}`));
          return;
        }
        headersDone = true;
        resolve(stream);
        text = text.slice(end + 4);
      }
      let from = 0;
      for (let at = text.indexOf(MARK, from); at >= 0; at = text.indexOf(MARK, from)) {
        let j = at + MARK.length;
        let v = 0;
        while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57)
          v = v * 10 + text.charCodeAt(j++) - 48;
        if (j === text.length) break; // the number may go on in the next chunk
        onVersion(i, v);
        from = j;
      }
      carry = text.length - from > 256 ? '' : text.slice(Math.max(from, text.length - 64));
    });
    socket.on('error', (e) => {
      reject(e);
      if (!closing) process.send?.({ type: 'error', message: `stream ${i} to ${base}: ${e.message}` });
    });
    socket.on('close', () => {
      if (headersDone && !closing) process.send?.({ type: 'error', message: `stream ${i} to ${base} closed` });
    });
    const stream: RawStream = { socket, close: () => socket.destroy() };
  });
}
let closing = false;

function onVersion(i: number, v: number) {
  const prev = latest[i]!;
  if (v <= prev) return;
  latest[i] = v;
  const at = now();
  // Versions are small consecutive integers; a subscriber that skipped one still "has" it.
  for (let x = Math.max(prev + 1, maxReported + 1, v - 1000); x <= v; x++) {
    const n = (have.get(x) ?? 0) + 1;
    have.set(x, n);
    if (n === total) {
      have.delete(x);
      maxReported = Math.max(maxReported, x);
      process.send?.({ type: 'complete', version: x, at });
    }
  }
}

/** Opens stream `i`, retrying a 429 (the evaluator shedding load) after a short pause. */
async function open(i: number): Promise<RawStream> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openRaw(urls[i % urls.length]!, i);
    } catch (error) {
      if (attempt >= 20 || !/HTTP 429/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

const timeout = setTimeout(() => {
  process.send?.({ type: 'error', message: 'streams did not open within 60 s' });
  process.exit(3);
}, 60_000);
// In batches: a thousand simultaneous connects is a thundering herd no real fleet sees at once.
(async () => {
  for (let i = 0; i < total; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, total - i) }, (_, j) => open(i + j)));
    subs.push(...batch);
  }
})().then(
  () => {
    clearTimeout(timeout);
    process.send?.({ type: 'ready', streams: subs.length });
  },
  (error: Error) => {
    process.send?.({ type: 'error', message: `opening streams: ${error.message}` });
    process.exit(4);
  },
);

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'stop') {
    closing = true;
    for (const s of subs) s.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
