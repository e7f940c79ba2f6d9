/**
 * Single-flag OFREP evaluations at a constant arrival rate (scenarios.ts `single`).
 * k6 run -e EVALUATOR_URL=http://127.0.0.1:4100 -e SDK_KEY=... k6/ofrep-single.ts
 */
import exec from 'k6/execution';
import { check } from 'k6';
import { scenarios } from './scenarios.ts';
import { arrivalOptions, env } from './lib/k6-options.ts';
import { ofrep } from './lib/k6-requests.ts';

const s = scenarios.single;
export const options = arrivalOptions('single', s);
const evaluatorUrl = env('EVALUATOR_URL');
const sdkKey = env('SDK_KEY');

export default function (): void {
  const r = ofrep(evaluatorUrl, sdkKey, s.request, exec.scenario.iterationInTest);
  check(r, { 'status 200': (x) => x.status === 200 });
}
