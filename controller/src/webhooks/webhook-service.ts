/**
 * Registers webhooks and turns rollout events into signed deliveries. An event is written to the
 * webhook outbox inside the transaction that causes it (one row per subscribed webhook), so a
 * committed transition always has its deliveries and a rolled-back one never does; the workers
 * drain the outbox into the BullMQ delivery queue ({@link WebhookService.drain}).
 * Secrets are sealed at rest (secret-box.ts); creating and deleting a webhook is audited in the
 * same transaction as the change.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { auditRecord } from '../audit/audit-record.ts';
import { requireRole, requireUnrestricted } from '../auth/access.ts';
import type { Stores } from '../db/stores.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { badRequest, notFound } from '../errors/domain-errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { RolloutNotifier, RolloutWebhookEvent } from '../rollouts/rollout-service.ts';
import type { ScheduleNotifier, ScheduleWebhookEvent } from '../schedules/schedule-events.ts';
import { SecretBox } from './secret-box.ts';
import { urlHostProblem, type WebhookAllowList } from './webhook-address.ts';
import type { WebhookRecord } from './webhook-store.ts';

/** Every event a webhook can subscribe to. */
export type WebhookEvent = RolloutWebhookEvent | ScheduleWebhookEvent;

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  'rollout.step_completed',
  'rollout.paused',
  'rollout.rolled_back',
  'rollout.completed',
  'rollout.awaiting_approval',
  'schedule.applied',
  'schedule.conflicted',
  'schedule.expired',
];

/** One delivery, as queued: the worker looks the secret up by id, so no secret sits in Redis. */
export interface WebhookDelivery {
  /** The webhook outbox row's id: also the BullMQ job id, so a row drained twice is queued once. */
  deliveryId: string;
  webhookId: number;
  event: WebhookEvent;
  payload: Record<string, unknown>;
  at: string;
}

/** Puts deliveries on the queue (BullMQ in production), where they are retried with backoff. */
export interface DeliveryQueue {
  /** Must be idempotent for one deliveryId (BullMQ: the job id). */
  enqueue(d: WebhookDelivery): Promise<void>;
}

/** What the service needs of the unit of work. */
export type WebhookUnitOfWork = Pick<UnitOfWork, 'read' | 'write'>;

/** A webhook with its secret opened, for the delivery worker; or why it cannot be delivered. */
export type DeliveryTarget = { ok: true; url: string; secret: string } | { ok: false; reason: string };

export interface WebhookServiceOptions {
  box: SecretBox;
  allow: WebhookAllowList;
  queue: DeliveryQueue;
  /** After COMMIT of a transaction that wrote outbox rows: wakes the drainer (a lost hint waits for the sweep). */
  wake?: () => void;
  now: () => string;
}

export class WebhookService implements RolloutNotifier, ScheduleNotifier {
  constructor(
    private readonly uow: WebhookUnitOfWork,
    private readonly o: WebhookServiceOptions,
  ) {}

  async create(ctx: RequestContext, body: { url: string; events?: string[]; secret?: string }): Promise<WebhookRecord> {
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    const problems = [];
    let url: URL | undefined;
    try {
      url = new URL(body.url);
    } catch {
      problems.push({ path: 'url', message: 'not a URL' });
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:')
      problems.push({ path: 'url', message: 'must be http or https' });
    else if (url && (url.username !== '' || url.password !== ''))
      problems.push({
        path: 'url',
        message:
          'must not contain a user or password (listed and audited in clear; the signature authenticates deliveries)',
      });
    else if (url) {
      const refused = urlHostProblem(url, this.o.allow);
      if (refused !== undefined) problems.push({ path: 'url', message: refused });
    }
    const events = body.events ?? [...WEBHOOK_EVENTS];
    events.forEach((e, i) => {
      if (!WEBHOOK_EVENTS.includes(e as WebhookEvent))
        problems.push({ path: `events[${i}]`, message: `unknown event "${e}"; known: ${WEBHOOK_EVENTS.join(', ')}` });
    });
    if (body.secret !== undefined && (body.secret.length < 16 || body.secret.length > 128))
      problems.push({ path: 'secret', message: 'must be 16 to 128 characters' });
    if (problems.length > 0) throw badRequest('the webhook is invalid', problems);
    const secret = body.secret ?? randomBytes(24).toString('base64url');
    const at = this.o.now();
    const record = { url: body.url, secret: this.o.box.seal(secret), events, createdBy: ctx.actor.name, createdAt: at };
    const id = await this.uow.write(async (s) => {
      const inserted = await s.webhooks.insert(record);
      await s.audit.append(
        auditRecord(ctx, at, {
          action: 'webhook.create',
          entityType: 'webhook',
          entityKey: String(inserted),
          after: { url: record.url, events },
        }),
      );
      return inserted;
    });
    // The caller gets the plaintext once; what is stored and listed is sealed or absent.
    return { ...record, id, secret };
  }

  async list(ctx: RequestContext): Promise<WebhookRecord[]> {
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    return this.uow.read((s) => s.webhooks.list());
  }

  async delete(ctx: RequestContext, id: number): Promise<void> {
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    const at = this.o.now();
    await this.uow.write(async (s) => {
      const before = await s.webhooks.get(id);
      if (!before || !(await s.webhooks.delete(id))) throw notFound(`webhook ${id}`);
      await s.audit.append(
        auditRecord(ctx, at, {
          action: 'webhook.delete',
          entityType: 'webhook',
          entityKey: String(id),
          before: { url: before.url, events: before.events },
        }),
      );
    });
  }

  /** Where a queued delivery goes, with its secret opened (the delivery worker's read). */
  async target(id: number): Promise<DeliveryTarget | undefined> {
    const hook = await this.uow.read((s) => s.webhooks.get(id));
    if (!hook) return undefined;
    // A row from before secrets were sealed (sealLegacySecrets seals it at the controller's start).
    if (!SecretBox.isSealed(hook.secret)) return { ok: true, url: hook.url, secret: hook.secret };
    const opened = this.o.box.open(hook.secret);
    return opened.ok
      ? { ok: true, url: hook.url, secret: opened.value }
      : { ok: false, reason: `webhook ${id}: ${opened.reason}` };
  }

  /** Seals secrets stored in plaintext before migration 0004; returns how many. Run at start. */
  async sealLegacySecrets(): Promise<number> {
    return this.uow.write(async (s) => {
      let sealed = 0;
      for (const hook of await s.webhooks.list()) {
        if (SecretBox.isSealed(hook.secret)) continue;
        await s.webhooks.setSecret(hook.id, this.o.box.seal(hook.secret));
        sealed++;
      }
      return sealed;
    });
  }

  /** Inside the causing transaction: one outbox row per webhook subscribed to the event. */
  async record(s: Stores, event: WebhookEvent, payload: Record<string, unknown>): Promise<void> {
    const at = this.o.now();
    for (const hook of await s.webhooks.list()) {
      if (!hook.events.includes(event)) continue;
      await s.webhookOutbox.append({ id: randomUUID(), webhookId: hook.id, event, payload, createdAt: at });
    }
  }

  /** After COMMIT. */
  wake(): void {
    try {
      this.o.wake?.();
    } catch {
      /* a hint only: the sweep drains anyway */
    }
  }

  /**
   * Moves up to `limit` outbox rows into the delivery queue, oldest first, and deletes each row
   * only after the queue took it: a crash or a Redis outage between the two leaves the row, and
   * the next drain queues it again under the same job id (at-least-once into the queue, once per
   * job id out of it). Stops at the first queue failure. Returns how many rows were moved.
   */
  async drain(limit = 100): Promise<number> {
    const rows = await this.uow.read((s) => s.webhookOutbox.list(limit));
    const queued: string[] = [];
    let failure: unknown;
    for (const row of rows) {
      try {
        await this.o.queue.enqueue({
          deliveryId: row.id,
          webhookId: row.webhookId,
          event: row.event as WebhookEvent,
          payload: row.payload,
          at: row.createdAt,
        });
        queued.push(row.id);
      } catch (error) {
        failure = error;
        break;
      }
    }
    if (queued.length > 0) await this.uow.write((s) => s.webhookOutbox.delete(queued));
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the queue threw, as it was
    if (failure !== undefined) throw failure;
    return queued.length;
  }
}
