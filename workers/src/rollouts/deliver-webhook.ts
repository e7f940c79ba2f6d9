/** Sends one signed webhook delivery; a non-2xx answer or a timeout throws, so BullMQ retries it. */
import { signWebhook } from '../../../controller/src/webhooks/sign-webhook.ts';
import type { WebhookDelivery } from '../../../controller/src/webhooks/webhook-service.ts';

export async function deliverWebhook(target: { url: string; secret: string }, d: WebhookDelivery, timeoutMs = 5_000): Promise<number> {
  const body = JSON.stringify({ id: d.deliveryId, event: d.event, at: d.at, data: d.payload });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-flagship-event': d.event,
      'x-flagship-delivery': d.deliveryId,
      'x-flagship-timestamp': String(timestamp),
      'x-flagship-signature': signWebhook(target.secret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status >= 300) throw new Error(`webhook ${target.url} answered ${response.status}`);
  return response.status;
}
