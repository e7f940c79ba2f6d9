/**
 * k6 options from the shared scenario definition (../scenarios.ts), and the environment every
 * script reads: `-e EVALUATOR_URL=... -e SDK_KEY=...` (and API_URL, ADMIN_TOKEN for writes), as
 * `npm run load -- prepare` prints them for a running stack.
 */
import type { Options, Scenario as K6Scenario } from 'k6/options';
import type { ArrivalScenario, FanOutScenario } from '../scenarios.ts';

/** A k6 scenario object for an arrival-rate scenario: the shared fields pass through unchanged. */
export function arrivalScenario(s: ArrivalScenario, exec = 'default'): K6Scenario {
  if (s.executor === 'constant-arrival-rate') {
    return {
      executor: 'constant-arrival-rate',
      rate: s.rate,
      timeUnit: '1s',
      duration: s.duration,
      preAllocatedVUs: s.preAllocatedVUs,
      maxVUs: s.maxVUs,
      exec,
    };
  }
  return {
    executor: 'ramping-arrival-rate',
    startRate: s.startRate,
    timeUnit: '1s',
    stages: s.stages,
    preAllocatedVUs: s.preAllocatedVUs,
    maxVUs: s.maxVUs,
    exec,
  };
}

/** Options of a one-scenario script: the scenario, its thresholds, summary percentiles up to p(99). */
export function arrivalOptions(name: string, s: ArrivalScenario): Options {
  return {
    scenarios: { [name]: arrivalScenario(s) },
    thresholds: s.thresholds,
    summaryTrendStats: ['avg', 'p(50)', 'p(90)', 'p(99)', 'max'],
    discardResponseBodies: true,
  };
}

/** Streams held by `vus` VUs, and the writes that make changes, as two scenarios. */
export function fanOutOptions(s: FanOutScenario): Options {
  return {
    scenarios: {
      streams: { executor: 'constant-vus', vus: s.vus, duration: s.duration, exec: 'stream' },
      writes: {
        executor: 'constant-arrival-rate',
        rate: s.writesPerSecond,
        timeUnit: '1s',
        duration: s.duration,
        preAllocatedVUs: 2,
        maxVUs: 10,
        exec: 'write',
        // After the streams are open.
        startTime: '2s',
      },
    },
    thresholds: s.thresholds,
  };
}

/** A required `-e NAME=value`; fails the script at init naming it. */
export function env(name: string): string {
  const v = __ENV[name];
  if (v === undefined || v === '') throw new Error(`missing -e ${name}=... (npm run load -- prepare prints them)`);
  return v.replace(/\/+$/, '');
}
