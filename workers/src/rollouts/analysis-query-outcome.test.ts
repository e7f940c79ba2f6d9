/**
 * The reasons an analysis query is counted under, from the messages the controller's Prometheus
 * client writes (its integration tests produce them against a real Prometheus and a closed port).
 */
import { expect, it } from 'vitest';
import { analysisQueryOutcome } from './analysis-query-outcome.ts';

it('tells answers, timeouts, refusals, foreign answers and connection failures apart', () => {
  expect(analysisQueryOutcome({ kind: 'value', value: 1 })).toBe('ok');
  expect(analysisQueryOutcome({ kind: 'nodata' })).toBe('ok');
  expect(analysisQueryOutcome({ kind: 'error', message: 'timed out after 1500 ms' })).toBe('timeout');
  expect(analysisQueryOutcome({ kind: 'error', message: 'HTTP 400: bad_data: parse error at char 3' })).toBe(
    'query_error',
  );
  expect(analysisQueryOutcome({ kind: 'error', message: 'HTTP 502: not JSON' })).toBe('bad_response');
  expect(analysisQueryOutcome({ kind: 'error', message: 'expected an instant vector or scalar, got matrix' })).toBe(
    'bad_response',
  );
  expect(analysisQueryOutcome({ kind: 'error', message: 'connect ECONNREFUSED 127.0.0.1:9' })).toBe('unreachable');
  expect(analysisQueryOutcome({ kind: 'error', message: 'getaddrinfo ENOTFOUND prom.invalid' })).toBe('unreachable');
});
