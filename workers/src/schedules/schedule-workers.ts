/**
 * The schedule side of the workers process: a BullMQ worker that runs each due schedule's job
 * (the controller's ScheduleService decides from the row what happens), and the reconciler that
 * arms every pending schedule at start and, periodically, those due soon, so a job lost with
 * Redis, never added while Redis was down, or run early comes back (docs/api.md, "Schedules").
 */
import { type ConnectionOptions, Worker } from 'bullmq';
import { type ExecuteOutcome, SCHEDULE_QUEUE, type ScheduleJob, type ScheduleService } from '@flagship/controller';

export interface ScheduleWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  schedules: ScheduleService;
  /** Schedules applied at once per process: each is one short transaction. */
  concurrency?: number;
  /** How often the reconciler arms what is due soon (default 10 s). */
  reconcileEveryMs?: number;
  /** How far ahead the periodic reconciler arms (default 60 s): longer than its period, so nothing due slips between two runs. */
  horizonMs?: number;
  onOutcome?: (job: ScheduleJob, outcome: ExecuteOutcome, lagMs: number) => void;
  log?: (message: string, error?: unknown) => void;
  clock?: () => number;
}

export interface ScheduleWorkers {
  worker: Worker<ScheduleJob>;
  /** Runs the reconciler once now (tests; the timer runs it too). */
  reconcile(all: boolean): Promise<void>;
  close(): Promise<void>;
}

/** A job that fires this little before its schedule is due waits for it instead of leaving it to the reconciler. */
const WAIT_FOR_DUE_MS = 5_000;

export async function startScheduleWorkers(o: ScheduleWorkerOptions): Promise<ScheduleWorkers> {
  const log = o.log ?? ((m: string, e?: unknown) => console.error(m, e ?? ''));
  const clock = o.clock ?? Date.now;
  const worker = new Worker<ScheduleJob>(
    SCHEDULE_QUEUE,
    async (job) => {
      let outcome = await o.schedules.execute(job.data.scheduleId);
      // Another host's clock armed it a little early: wait (bounded) rather than a reconcile period.
      if (outcome.result === 'not-due' && outcome.inMs <= WAIT_FOR_DUE_MS) {
        const waitMs = outcome.inMs + 5;
        await new Promise((r) => setTimeout(r, waitMs));
        outcome = await o.schedules.execute(job.data.scheduleId);
      }
      const lagMs = clock() - job.data.dueAt;
      o.onOutcome?.(job.data, outcome, lagMs);
      if (outcome.result === 'conflicted' || outcome.result === 'expired')
        log(`schedule ${job.data.scheduleId} ${outcome.result}: ${outcome.schedule.outcome ?? ''}`);
      return outcome.result;
    },
    {
      connection: o.connection,
      prefix: o.prefix,
      concurrency: o.concurrency ?? 20,
      // An application is one transaction: a job held by a killed worker is taken again within seconds.
      lockDuration: 10_000,
      stalledInterval: 5_000,
    },
  );
  worker.on('error', (error) => log(`worker ${worker.name}: ${error.message}`));
  worker.on('failed', (job, error) =>
    log(`schedule job ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`),
  );

  const reconcile = async (all: boolean) => {
    try {
      await o.schedules.reconcile(all ? {} : { untilMs: clock() + (o.horizonMs ?? 60_000) });
    } catch (error) {
      log('reconciler: could not re-arm schedules', error);
    }
  };
  await reconcile(true);
  const timer = setInterval(() => void reconcile(false), o.reconcileEveryMs ?? 10_000);
  timer.unref();
  return {
    worker,
    reconcile,
    async close() {
      clearInterval(timer);
      await worker.close();
    },
  };
}
