/**
 * An open-model driver for low-rate async iterations (admin writes): iterations start on the
 * arrival schedule whatever earlier ones are waiting for, at most `maxVUs` at once (beyond that
 * an arrival is dropped, as k6 drops it when no VU is free). In the runner's own process: at a
 * few writes per second the client's cost is nothing beside the server's.
 */
import { performance } from 'node:perf_hooks';
import type { ArrivalExecutor } from '../../k6/scenarios.ts';
import { arrivalsDue, rateSegments, scheduleSeconds, totalArrivals } from './arrival-schedule.ts';
import { emptyRecords, type LoadRecords } from './load-records.ts';

/** Records one HTTP request of an iteration: its status (0: no answer) and whether it carried Retry-After. */
export type RecordRequest = (status: number, ms: number, retryAfter?: boolean) => void;

export async function runAsyncArrivals(
  executor: ArrivalExecutor,
  iteration: (i: number, record: RecordRequest) => Promise<void>,
  requestsPerIteration: number,
): Promise<{ records: LoadRecords; dropped: number; seconds: number }> {
  const segments = rateSegments(executor);
  const total = totalArrivals(segments);
  const records = emptyRecords(total * requestsPerIteration);
  const t0 = performance.now();
  let started = 0;
  let running = 0;
  let dropped = 0;
  const pending = new Set<Promise<void>>();
  const record =
    (at: number): RecordRequest =>
    (status, ms, retryAfter = false) => {
      if (records.count >= records.at.length) return;
      const i = records.count++;
      records.at[i] = at;
      records.ms[i] = ms;
      records.status[i] = status;
      records.retryAfter[i] = retryAfter ? 1 : 0;
    };
  while (started < total) {
    const now = performance.now();
    const due = Math.min(total, arrivalsDue(segments, (now - t0) / 1000));
    for (; started < due; started++) {
      if (running >= executor.maxVUs) {
        dropped++;
        continue;
      }
      running++;
      const p: Promise<void> = iteration(started, record((now - t0) / 1000))
        .catch(() => record((now - t0) / 1000)(0, 0))
        .finally(() => {
          running--;
          pending.delete(p);
        });
      pending.add(p);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  // Every iteration's own requests have timeouts (AbortSignal.timeout in the caller): this ends.
  await Promise.all(pending);
  return { records, dropped, seconds: Math.max(scheduleSeconds(segments), (performance.now() - t0) / 1000) };
}
