/**
 * Sends one signed webhook delivery through {@link pinnedPost} (addresses checked after DNS,
 * connection pinned, body capped). A non-2xx answer, a timeout or a DNS failure throws, so BullMQ
 * retries it; a refused destination throws {@link RefusedDestination}, which the delivery worker
 * turns into a failure without retries.
 */
import { signWebhook, type WebhookAllowList, type WebhookDelivery } from '@flagship/controller';
import { pinnedPost, RefusedDestination, type Resolve } from '../webhooks/pinned-post.ts';

export interface DeliverOptions {
  allow: WebhookAllowList;
  timeoutMs?: number;
  /** DNS (tests inject answers); default the system resolver. */
  resolve?: Resolve;
}

export async function deliverWebhook(
  target: { url: string; secret: string },
  d: WebhookDelivery,
  o: DeliverOptions,
): Promise<number> {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new RefusedDestination(`webhook ${d.webhookId} has an invalid URL`);
  }
  const body = JSON.stringify({ id: d.deliveryId, event: d.event, at: d.at, data: d.payload });
  const timestamp = Math.floor(Date.now() / 1000);
  const answer = await pinnedPost(
    url,
    {
      'content-type': 'application/json',
      'x-flagship-event': d.event,
      'x-flagship-delivery': d.deliveryId,
      'x-flagship-timestamp': String(timestamp),
      'x-flagship-signature': signWebhook(target.secret, timestamp, body),
    },
    body,
    { allow: o.allow, timeoutMs: o.timeoutMs ?? 5_000, ...(o.resolve ? { resolve: o.resolve } : {}) },
  );
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(
      `webhook ${url.origin} answered ${answer.status}: ${answer.body.slice(0, 200)}${answer.truncated ? '...' : ''}`,
    );
  }
  return answer.status;
}
