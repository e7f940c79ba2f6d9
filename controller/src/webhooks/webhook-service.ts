/** Registers webhooks and turns rollout events into queued, signed deliveries. */
import { randomBytes, randomUUID } from 'node:crypto';
import { requireRole, requireUnrestricted } from '../auth/access.ts';
import { badRequest, notFound } from '../http/api-error.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { RolloutNotifier, RolloutWebhookEvent } from '../rollouts/rollout-service.ts';
import type { WebhookRecord, WebhookStore } from './webhook-store.ts';

export const WEBHOOK_EVENTS: readonly RolloutWebhookEvent[] = [
  'rollout.step_completed', 'rollout.paused', 'rollout.rolled_back', 'rollout.completed', 'rollout.awaiting_approval',
];

/** One delivery, as queued: the worker looks the secret up by id, so no secret sits in Redis. */
export interface WebhookDelivery {
  deliveryId: string;
  webhookId: number;
  event: RolloutWebhookEvent;
  payload: Record<string, unknown>;
  at: string;
}

/** Puts deliveries on the queue (BullMQ in production), where they are retried with backoff. */
export interface DeliveryQueue {
  enqueue(d: WebhookDelivery): Promise<void>;
}

export class WebhookService implements RolloutNotifier {
  constructor(private readonly store: WebhookStore, private readonly queue: DeliveryQueue, private readonly now: () => string) {}

  async create(ctx: RequestContext, body: { url: string; events?: string[]; secret?: string }): Promise<WebhookRecord> {
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    const problems = [];
    let url: URL | undefined;
    try { url = new URL(body.url); } catch { problems.push({ path: 'url', message: 'not a URL' }); }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:') problems.push({ path: 'url', message: 'must be http or https' });
    const events = body.events ?? [...WEBHOOK_EVENTS];
    events.forEach((e, i) => { if (!WEBHOOK_EVENTS.includes(e as RolloutWebhookEvent)) problems.push({ path: `events[${i}]`, message: `unknown event "${e}"; known: ${WEBHOOK_EVENTS.join(', ')}` }); });
    if (body.secret !== undefined && (body.secret.length < 16 || body.secret.length > 128)) problems.push({ path: 'secret', message: 'must be 16 to 128 characters' });
    if (problems.length > 0) throw badRequest('the webhook is invalid', problems);
    const record = { url: body.url, secret: body.secret ?? randomBytes(24).toString('base64url'), events, createdBy: ctx.actor.name, createdAt: this.now() };
    const id = await this.store.insert(record);
    return { ...record, id };
  }

  async list(ctx: RequestContext): Promise<WebhookRecord[]> {
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    return this.store.list();
  }

  async delete(ctx: RequestContext, id: number): Promise<void> {
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    if (!(await this.store.delete(id))) throw notFound(`webhook ${id}`);
  }

  /** Where a queued delivery goes, with the secret to sign it (the delivery worker's read). */
  target(id: number): Promise<WebhookRecord | undefined> {
    return this.store.get(id);
  }

  /** Fans an event out to every subscribed webhook. */
  async notify(event: RolloutWebhookEvent, payload: Record<string, unknown>): Promise<void> {
    for (const hook of await this.store.list()) {
      if (!hook.events.includes(event)) continue;
      await this.queue.enqueue({ deliveryId: randomUUID(), webhookId: hook.id, event, payload, at: this.now() });
    }
  }
}
