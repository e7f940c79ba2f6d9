/**
 * The load process: a child of the runner (scripts/load/run-load.ts, spike.ts), so the load
 * generator never shares an event loop with the orchestrator or the stack's supervision. It is
 * sent one {@link LoadJob}, runs the arrival schedule against one host:port with prebuilt
 * requests, and answers with the typed-array records and its own CPU use (so a run can show the
 * client was not the bottleneck). Bounded: the schedule's arrivals, then at most `drainMs` for
 * the last answers; every request has `timeoutMs`.
 */
import { performance } from 'node:perf_hooks';
import type { ArrivalExecutor } from '../../k6/scenarios.ts';
import { arrivalsDue, rateSegments, scheduleSeconds, totalArrivals } from './arrival-schedule.ts';
import { KeepAlivePool } from './keepalive-pool.ts';
import { emptyRecords, type LoadRecords } from './load-records.ts';

export interface LoadJob {
  host: string;
  port: number;
  /** Raw HTTP/1.1 requests, used in turn. */
  requests: string[];
  executor: ArrivalExecutor;
  timeoutMs: number;
  drainMs: number;
}

export interface LoadResult {
  records: LoadRecords;
  dropped: number;
  seconds: number;
  /** This process's CPU time over the run, as a share of one core (1 = one core busy). */
  cpuCores: number;
  maxConnections: number;
}

/** `onStarted`: called as the schedule's clock starts. */
export async function runLoad(job: LoadJob, onStarted: () => void = () => {}): Promise<LoadResult> {
  const segments = rateSegments(job.executor);
  const total = totalArrivals(segments);
  const length = scheduleSeconds(segments);
  const requests = job.requests.map((r) => Buffer.from(r));
  if (requests.length === 0) throw new Error('no requests to send');
  const pool = new KeepAlivePool(job.host, job.port, job.executor.maxVUs, job.timeoutMs);
  await pool.preallocate(job.executor.preAllocatedVUs);
  const records = emptyRecords(total);
  let dropped = 0;
  let issued = 0;
  let answered = 0;
  let maxConnections = 0;
  onStarted();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let allAnswered: () => void = () => {};
  const done = new Promise<void>((resolve) => (allAnswered = resolve));

  const issue = (now: number) => {
    const i = records.count;
    const onAnswer = (status: number, retryAfter: boolean) => {
      records.ms[i] = performance.now() - now;
      records.status[i] = status;
      records.retryAfter[i] = retryAfter ? 1 : 0;
      if (++answered === records.count && issued === total) allAnswered();
    };
    if (!pool.send(requests[issued % requests.length]!, onAnswer)) {
      dropped++;
      return;
    }
    records.at[i] = (now - t0) / 1000;
    records.count++;
    if (pool.connections > maxConnections) maxConnections = pool.connections;
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, arrivalsDue(segments, (now - t0) / 1000));
      // Each arrival is its own iteration: started now, whatever the earlier ones are waiting for.
      while (issued < due) {
        issue(now);
        issued++;
      }
      if (issued >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  if (answered === records.count) allAnswered();
  await Promise.race([done, new Promise((r) => setTimeout(r, job.drainMs).unref())]);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  pool.close();
  return {
    records,
    dropped,
    seconds: Math.max(seconds, length),
    cpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
    maxConnections,
  };
}

// As a child: one job in, one result out (typed arrays over the 'advanced' serialization).
if (process.send !== undefined && process.argv.includes('--load-process')) {
  process.once('message', (job: LoadJob) => {
    runLoad(job, () => process.send!({ started: true })).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: unknown) => process.send!({ error: String(error) }, () => process.exit(1)),
    );
  });
}
