/**
 * The BullMQ side of schedules: one delayed job per schedule, id `s<id>`, so arming a schedule
 * twice (the controller at creation, the reconciler after a restart) adds one job. The job is a
 * trigger only: the schedule row decides whether anything happens.
 */
import { type ConnectionOptions, Queue } from 'bullmq';
import type { ScheduleTrigger } from './schedule-service.ts';

export const SCHEDULE_QUEUE = 'scheduled-changes';

export interface ScheduleJob {
  scheduleId: number;
  /** Epoch ms it is due (for lag). */
  dueAt: number;
}

/** BullMQ refuses all-digit custom ids; the letter also says what the job is. */
export const scheduleJobId = (scheduleId: number) => `s${scheduleId}`;

export class BullScheduleTrigger implements ScheduleTrigger {
  readonly queue: Queue<ScheduleJob>;
  constructor(options: { connection: ConnectionOptions; prefix: string }) {
    this.queue = new Queue<ScheduleJob>(SCHEDULE_QUEUE, { connection: options.connection, prefix: options.prefix });
  }
  async arm(scheduleId: number, atMs: number): Promise<void> {
    await this.queue.add(
      'apply',
      { scheduleId, dueAt: atMs },
      {
        jobId: scheduleJobId(scheduleId),
        delay: Math.max(0, atMs - Date.now()),
        // Finished jobs vanish, so the reconciler can arm a schedule again whose job failed or
        // ran early; a second run of an applied schedule is a no-op (its row is final).
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
      },
    );
  }
  async disarm(scheduleId: number): Promise<void> {
    await this.queue.remove(scheduleJobId(scheduleId));
  }
  close(): Promise<void> {
    return this.queue.close();
  }
}
