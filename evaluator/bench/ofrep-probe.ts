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
 * count, shed, errors}; {type:'error', message}.
 */
import { Agent, request } from 'node:http';
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

const body = Buffer.from('{"context":{"targetingKey":"user-1","country":"NL"}}');
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
let latencies: number[] = [];
let shed = 0;
let errors = 0;
let running = true;
let answered = 0;

function once(base: string): Promise<number> {
  const u = new URL(`${base}/ofrep/v1/evaluate/flags/${flag}`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${sdkKey}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

async function loop(base: string): Promise<void> {
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
      const status = await once(base);
      const ms = performance.now() - t0;
      if (status === 200) latencies.push(ms);
      else if (status === 429) shed++;
      else errors++;
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
    });
  } else if (m.type === 'stop') {
    running = false;
    agent.destroy();
    process.exit(0);
  }
});

for (const u of urls) for (let i = 0; i < concurrency; i++) void loop(u);
