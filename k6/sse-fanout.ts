/**
 * SSE fan-out (scenarios.ts `sse-fanout`): VUs each hold a GET /v1/stream open for the run while
 * admin writes change the load flags. Needs a k6 built with xk6-sse (README). Counts streams that
 * failed to open and the change events every stream received.
 * k6 run -e EVALUATOR_URL=... -e SDK_KEY=... -e API_URL=... -e ADMIN_TOKEN=... k6/sse-fanout.ts
 */
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import sse from 'k6/x/sse';
import { LOAD_FLAGS, scenarios } from './scenarios.ts';
import { env, fanOutOptions } from './lib/k6-options.ts';
import { adminWrite } from './lib/k6-requests.ts';
import { durationMs } from './lib/k6-duration.ts';

const s = scenarios['sse-fanout'];
export const options = fanOutOptions(s);
const evaluatorUrl = env('EVALUATOR_URL');
const sdkKey = env('SDK_KEY');
const apiUrl = env('API_URL');
const adminToken = env('ADMIN_TOKEN');

const openFailed = new Counter('sse_open_failed');
const events = new Counter('sse_events');

/** One stream per VU for the whole run; the extension's open returns when the stream ends. */
export function stream(): void {
  const holdUntil = Date.now() + durationMs(s.duration);
  const r = sse.open(
    `${evaluatorUrl}/v1/stream`,
    { headers: { authorization: `Bearer ${sdkKey}` }, tags: { name: 'sse' } },
    (client) => {
      client.on('event', (e) => {
        if (e.name === 'snapshot') events.add(1);
        if (Date.now() >= holdUntil) client.close();
      });
      client.on('error', () => openFailed.add(1));
    },
  );
  if (r.status !== 200) openFailed.add(1);
}

export function write(): void {
  adminWrite(apiUrl, adminToken, exec.scenario.iterationInTest, LOAD_FLAGS);
}
