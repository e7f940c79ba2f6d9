/**
 * The rollout side of the workers process: BullMQ workers for analysis ticks and webhook
 * deliveries, and the reconciler that re-arms every running rollout's tick at start and then
 * periodically (a job lost with Redis, or never added because Redis was down, comes back).
 * With `metrics`, ticks record their lag, queries and decisions (run-tick.ts) and every delivery
 * attempt its outcome (docs/slo.md).
 */
import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import {
  TICK_QUEUE,
  WEBHOOK_QUEUE,
  WebhookAllowList,
  type RolloutService,
  type TickJob,
  type TickOutcome,
  type WebhookDelivery,
  type WebhookService,
} from '@flagship/controller';
import type { WorkersMetrics } from '../metrics/workers-metrics.ts';
import { RefusedDestination, type Resolve } from '../webhooks/pinned-post.ts';
import { deliverWebhook } from './deliver-webhook.ts';
import { runTick, type TickMetrics } from './run-tick.ts';

/** What the rollout workers record. */
export type RolloutWorkerMetrics = TickMetrics & Pick<WorkersMetrics, 'webhookDelivery'>;

/** What a deleted webhook's job returns: no attempt was made, nothing is counted. */
const WEBHOOK_DELETED = 'webhook deleted';

export interface RolloutWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  rollouts: RolloutService;
  webhooks: WebhookService;
  prometheusUrl: string;
  /** Values of `${env:NAME}` references in policy headers (the workers' environment). */
  secrets?: (name: string) => string | undefined;
  /** Private destinations webhooks may reach (WEBHOOK_ALLOW_HOSTS); default none. */
  webhookAllow?: WebhookAllowList;
  /** DNS for webhook deliveries (tests); default the system resolver. */
  resolve?: Resolve;
  /** Ticks in flight per process: ticks wait on Prometheus, not on CPU. */
  concurrency?: number;
  reconcileEveryMs?: number;
  onTick?: (job: TickJob, outcome: { result: TickOutcome; lagMs: number }) => void;
  /** Where ticks and deliveries are counted (the process's WorkersMetrics); omit to count nowhere. */
  metrics?: RolloutWorkerMetrics;
  log?: (message: string, error?: unknown) => void;
}

export interface RolloutWorkers {
  ticks: Worker<TickJob>;
  deliveries: Worker<WebhookDelivery>;
  close(): Promise<void>;
}

export async function startRolloutWorkers(o: RolloutWorkerOptions): Promise<RolloutWorkers> {
  const log = o.log ?? ((m: string, e?: unknown) => console.error(m, e ?? ''));
  const ticks = new Worker<TickJob>(
    TICK_QUEUE,
    async (job) => {
      const outcome = await runTick(
        {
          rollouts: o.rollouts,
          prometheusUrl: o.prometheusUrl,
          ...(o.secrets ? { secrets: o.secrets } : {}),
          ...(o.metrics ? { metrics: o.metrics } : {}),
        },
        job.data,
      );
      o.onTick?.(job.data, outcome);
      return outcome.result;
    },
    {
      connection: o.connection,
      prefix: o.prefix,
      concurrency: o.concurrency ?? 100,
      // A tick takes at most the Prometheus timeout plus a transaction: short locks let a tick held
      // by a killed worker be picked up again within seconds, not BullMQ's default 30 s.
      lockDuration: 10_000,
      stalledInterval: 5_000,
    },
  );
  const deliveries = new Worker<WebhookDelivery>(
    WEBHOOK_QUEUE,
    async (job) => {
      const target = await o.webhooks.target(job.data.webhookId);
      if (!target) return WEBHOOK_DELETED;
      // A secret this process cannot open, or a refused address: retrying changes nothing, so the
      // job fails at once with the reason (visible in BullMQ as its failedReason, and logged).
      if (!target.ok) throw new UnrecoverableError(target.reason);
      try {
        return await deliverWebhook(target, job.data, {
          allow: o.webhookAllow ?? new WebhookAllowList(),
          ...(o.resolve ? { resolve: o.resolve } : {}),
        });
      } catch (error) {
        if (error instanceof RefusedDestination) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    { connection: o.connection, prefix: o.prefix, concurrency: 20 },
  );
  const metrics = o.metrics;
  if (metrics) {
    deliveries.on('completed', (_job, result) => {
      if (result !== WEBHOOK_DELETED) metrics.webhookDelivery('delivered');
    });
    // After a failure BullMQ has counted the attempt: it retries while attemptsMade < attempts,
    // never after an UnrecoverableError (a refused destination, an unreadable secret).
    deliveries.on('failed', (job, error) => {
      const last = !job || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      metrics.webhookDelivery(last ? 'exhausted' : 'failed');
    });
  }
  for (const w of [ticks, deliveries]) w.on('error', (error) => log(`worker ${w.name}: ${error.message}`));
  ticks.on('failed', (job, error) => log(`tick ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`));
  deliveries.on('failed', (job, error) =>
    log(
      `webhook delivery ${job?.id} (${job?.data.event} to webhook ${job?.data.webhookId}) failed (attempt ${job?.attemptsMade}): ${error.message}`,
    ),
  );

  const reconcile = async (all: boolean) => {
    try {
      await o.rollouts.reconcile({ all });
    } catch (error) {
      log('reconciler: could not re-arm rollouts', error);
    }
  };
  await reconcile(true);
  const timer = setInterval(() => void reconcile(false), o.reconcileEveryMs ?? 30_000);
  timer.unref();
  return {
    ticks,
    deliveries,
    async close() {
      clearInterval(timer);
      await Promise.all([ticks.close(), deliveries.close()]);
    },
  };
}
