/**
 * The propagation benchmark's SDK process (a child of propagation-bench.ts; several run side by
 * side, so a thousand clients do not share one event loop with each other or with the measuring
 * process). Runs `CLIENTS` in-process SDK clients (`@flagship/sdk`), each given the evaluators in
 * a rotated order so the streams spread over the fleet as services' would, and reports over IPC,
 * for every snapshot version, the wall-clock time at which the LAST of its clients had swapped it
 * (or a newer one) in, with the value that client then evaluated for the bench flag.
 *
 * IPC out: {type:'ready', version} once every client is READY; {type:'complete', version, at,
 * value}; {type:'error', message}. IPC in: {type:'stop'}.
 */
import { performance } from 'node:perf_hooks';
import { FlagshipClient } from '../src/index.ts';

const urls = (process.env.EVALUATOR_URLS ?? '').split(',').filter(Boolean);
const sdkKey = process.env.SDK_KEY ?? '';
const total = Number(process.env.CLIENTS ?? 250);
const offset = Number(process.env.OFFSET ?? 0);
const flagKey = process.env.FLAG_KEY ?? 'bench-flag';
if (urls.length === 0 || !sdkKey || !Number.isInteger(total) || total < 1) {
  process.send?.({ type: 'error', message: 'EVALUATOR_URLS, SDK_KEY and CLIENTS are required' });
  process.exit(2);
}
const now = () => performance.timeOrigin + performance.now();
const READY_TIMEOUT_MS = 60_000;

/** version -> clients that have it (or newer). */
const have = new Map<number, number>();
const latest = new Float64Array(total);
let maxReported = 0;
const clients: FlagshipClient[] = [];

// A client reaching version v counts for every version it skipped, as the SSE load process does.
function reached(i: number, version: number, client: FlagshipClient): void {
  const from = latest[i]!;
  if (version <= from) return;
  latest[i] = version;
  const at = now();
  for (let v = Math.max(from + 1, maxReported + 1); v <= version; v++) {
    const n = (have.get(v) ?? 0) + 1;
    have.set(v, n);
    if (n === total) {
      have.delete(v);
      maxReported = v;
      process.send?.({ type: 'complete', version: v, at, value: client.getBooleanValue(flagKey, false, {}) });
    }
  }
}

for (let i = 0; i < total; i++) {
  const k = (offset + i) % urls.length;
  const client = new FlagshipClient({
    evaluators: [...urls.slice(k), ...urls.slice(0, k)],
    sdkKey,
    logger: { warn: (m) => process.stderr.write(`sdk-load: ${m}\n`) },
  });
  client.on('changed', (e) => reached(i, e.version, client));
  client.on('ready', (e) => reached(i, e.version, client));
  clients.push(client);
}

// The clients' sockets are unref'd (an idle SDK keeps no process alive): hold this one open.
const keepAlive = setInterval(() => {}, 1 << 30);
const readyAll = await Promise.all(clients.map((c) => c.waitForReady(READY_TIMEOUT_MS)));
const notReady = readyAll.filter((r) => !r).length;
if (notReady > 0) {
  process.send?.({ type: 'error', message: `${notReady} of ${total} SDK clients not ready in ${READY_TIMEOUT_MS} ms` });
} else {
  process.send?.({ type: 'ready', version: Math.min(...clients.map((c) => c.version ?? 0)) });
}

process.on('message', (m: { type?: string }) => {
  if (m.type !== 'stop') return;
  clearInterval(keepAlive);
  void Promise.all(clients.map((c) => c.close())).then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
