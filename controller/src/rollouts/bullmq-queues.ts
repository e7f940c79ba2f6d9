/**
 * The BullMQ side of rollouts: delayed tick jobs with deterministic ids (`r<id>-t<seq>`), and
 * webhook deliveries retried with exponential backoff. Jobs are triggers only: the rollout row
 * decides whether a tick still applies.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import type { DeliveryQueue, WebhookDelivery } from '../webhooks/webhook-service.ts';
import type { TickScheduler } from './rollout-service.ts';

export const TICK_QUEUE = 'rollout-ticks';
export const WEBHOOK_QUEUE = 'webhook-deliveries';

/** A tick job's data. */
export interface TickJob {
  rolloutId: number;
  tickSeq: number;
  /** Epoch ms the tick was due (for lag). */
  dueAt: number;
}

/** The job id of a tick: adding it twice is a no-op while it waits. */
export const tickJobId = (rolloutId: number, tickSeq: number) => `r${rolloutId}-t${tickSeq}`;

export interface QueueOptions {
  connection: ConnectionOptions;
  /** Redis key prefix, so tests and stacks sharing a Redis never meet. */
  prefix: string;
}

export class BullTickScheduler implements TickScheduler {
  readonly queue: Queue<TickJob>;
  constructor(options: QueueOptions) {
    this.queue = new Queue<TickJob>(TICK_QUEUE, { connection: options.connection, prefix: options.prefix });
  }
  async schedule(rolloutId: number, tickSeq: number, atMs: number): Promise<void> {
    await this.queue.add(
      'tick',
      { rolloutId, tickSeq, dueAt: atMs },
      {
        jobId: tickJobId(rolloutId, tickSeq),
        delay: Math.max(0, atMs - Date.now()),
        // Finished jobs vanish: BullMQ ignores an add whose id still exists, and the reconciler must
        // be able to re-arm a tick whose job failed or ran without applying (the worker logs failures).
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
      },
    );
  }
  close(): Promise<void> {
    return this.queue.close();
  }
}

export class BullDeliveryQueue implements DeliveryQueue {
  readonly queue: Queue<WebhookDelivery>;
  constructor(options: QueueOptions) {
    this.queue = new Queue<WebhookDelivery>(WEBHOOK_QUEUE, { connection: options.connection, prefix: options.prefix });
  }
  async enqueue(d: WebhookDelivery): Promise<void> {
    await this.queue.add('deliver', d, {
      jobId: d.deliveryId,
      attempts: 8,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
  }
  close(): Promise<void> {
    return this.queue.close();
  }
}
