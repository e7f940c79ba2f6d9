/**
 * Moves the webhook outbox (rows written in the transactions that caused the events) into the
 * BullMQ delivery queue: at once when woken (after a commit in this process, or a hint on the
 * wake channel from the controller), and every `sweepEveryMs` whatever happens, so an event
 * committed while Redis was down is queued once it is back. Rows are deleted only after BullMQ
 * took them (WebhookService.drain); their id is the job id, so two drainers never double-queue.
 */
import type { WebhookService } from '@flagship/controller';
import { redisKeys } from '@flagship/evaluator/propagation';
import type { Redis } from 'ioredis';

/** Rows per drain, and drains per wake-up: a backlog of 10,000 empties in one pass. */
const BATCH = 100;
const MAX_BATCHES = 100;

export interface DrainerOptions {
  webhooks: WebhookService;
  sweepEveryMs?: number;
  log?: (message: string, error?: unknown) => void;
  /** Subscribes to the wake channel (a dedicated connection: it enters subscriber mode). */
  subscriber?: Redis;
  prefix?: string;
}

export class WebhookOutboxDrainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failing = false;
  private stopped = false;

  constructor(private readonly o: DrainerOptions) {}

  async start(): Promise<void> {
    if (this.o.subscriber) {
      // The channel a controller publishes on after committing webhook events.
      const channel = redisKeys(this.o.prefix ?? '').webhookOutboxWake;
      this.o.subscriber.on('message', (c: string) => {
        if (c === channel) this.wake();
      });
      // The sweep covers the time until this succeeds.
      await this.o.subscriber
        .subscribe(channel)
        .catch((e: Error) => this.log(`webhook outbox: cannot subscribe to ${channel}: ${e.message}`));
    }
    this.timer = setInterval(() => this.wake(), this.o.sweepEveryMs ?? 2_000);
    this.timer.unref();
    this.wake();
  }

  /** Drains now, or right after the drain in progress (never two at once in one process). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when no drain is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.idle();
  }

  private async pass(): Promise<void> {
    try {
      for (let i = 0; i < MAX_BATCHES; i++) {
        if ((await this.o.webhooks.drain(BATCH)) < BATCH) break;
      }
      if (this.failing) this.log('webhook outbox: draining again');
      this.failing = false;
    } catch (error) {
      // Logged once per outage; the rows stay and the next sweep tries again.
      if (!this.failing) this.log('webhook outbox: cannot queue deliveries (kept for the next sweep)', error);
      this.failing = true;
    }
  }

  private log(message: string, error?: unknown): void {
    (this.o.log ?? ((m: string, e?: unknown) => console.error(m, e ?? '')))(message, error);
  }
}
