/**
 * The publisher polls the outbox every few milliseconds anyway; this hint removes even that wait.
 * Call {@link OutboxNotifier.notify} after a write transaction that appended outbox rows has
 * COMMITTED (never before: the publisher would find nothing and go back to sleep). Losing a hint
 * is harmless: the poll finds the row.
 */
import type { Redis } from 'ioredis';
import { redisKeys } from '@flagship/evaluator/propagation';

export interface OutboxNotifier {
  /** Fire and forget; never throws, never blocks the caller on Redis. */
  notify(environmentIds?: readonly string[]): void;
}

/** Publishes on the `outbox-wake` channel of the given prefix. */
export class RedisOutboxNotifier implements OutboxNotifier {
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.channel = redisKeys(prefix).outboxWake;
  }

  notify(environmentIds: readonly string[] = []): void {
    // A Redis outage must not fail or slow the admin API: the change is committed already.
    if (this.redis.status !== 'ready') return;
    this.redis.publish(this.channel, environmentIds.join(',')).catch(() => {});
  }
}

/** For tests and for a controller run without Redis. */
export const noopOutboxNotifier: OutboxNotifier = { notify() {} };
