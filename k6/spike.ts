/**
 * The 10x spike (scenarios.ts `spike`): baseline, ten times the baseline, baseline, bulk OFREP,
 * ramping-arrival-rate. Admitted (200) answers keep p99 < 50 ms, the excess is 429 with
 * Retry-After, never a 5xx: the same thresholds `npm run load:spike` checks.
 * k6 run -e EVALUATOR_URL=http://127.0.0.1:4100 -e SDK_KEY=... k6/spike.ts
 */
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { scenarios } from './scenarios.ts';
import { arrivalOptions, env } from './lib/k6-options.ts';
import { ofrep } from './lib/k6-requests.ts';

const s = scenarios.spike;
export const options = arrivalOptions('spike', s);
const evaluatorUrl = env('EVALUATOR_URL');
const sdkKey = env('SDK_KEY');

// A shed request is an expected answer, not a failed one: http_req_failed counts the rest.
http.setResponseCallback(http.expectedStatuses(200, 429));
const admitted = new Trend('admitted_duration', true);
const errors5xx = new Counter('errors_5xx');
const shedWith = new Counter('shed_with_retry_after');
const shedWithout = new Counter('shed_without_retry_after');

export default function (): void {
  const r = ofrep(evaluatorUrl, sdkKey, s.request, exec.scenario.iterationInTest);
  if (r.status === 200) admitted.add(r.timings.duration);
  else if (r.status === 429) (r.headers['Retry-After'] === undefined ? shedWithout : shedWith).add(1);
  if (r.status >= 500) errors5xx.add(1);
}
