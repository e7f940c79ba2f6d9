import { API } from '../http/paths.ts';
import { idParam } from '../http/params.ts';
import { jsonBody } from '../http/request-body.ts';
import type { Route } from '../http/route.ts';
import { checkShape } from '../http/shape.ts';
import type { WebhookRecord } from './webhook-store.ts';
import type { WebhookService } from './webhook-service.ts';

const view = (w: WebhookRecord) => ({
  id: w.id,
  url: w.url,
  events: w.events,
  createdBy: w.createdBy,
  createdAt: w.createdAt,
});
const ADMIN = { role: 'admin', scope: 'unrestricted' } as const;

export function webhookRoutes(webhooks: WebhookService): Route[] {
  return [
    {
      method: 'get',
      path: `${API}/webhooks`,
      summary: 'List webhooks',
      access: ADMIN,
      success: 'ok',
      handle: async ({ ctx }) => ({ items: (await webhooks.list(ctx)).map(view) }),
    },
    {
      method: 'post',
      path: `${API}/webhooks`,
      summary: 'Register a webhook for rollout events (returns its secret once)',
      access: ADMIN,
      body: 'json',
      success: 'created',
      handle: async ({ req, ctx }) => {
        const body = jsonBody(req);
        checkShape(body, {
          url: { type: 'string', required: true, max: 2048 },
          events: { type: 'string[]', max: 20 },
          secret: { type: 'string', max: 128 },
        });
        const hook = await webhooks.create(ctx, body as { url: string; events?: string[]; secret?: string });
        // The secret is shown once, here; it is never listed again.
        return { ...view(hook), secret: hook.secret };
      },
    },
    {
      method: 'delete',
      path: `${API}/webhooks/:webhookId`,
      summary: 'Delete a webhook',
      access: ADMIN,
      success: 'no-content',
      handle: async ({ req, ctx }) => webhooks.delete(ctx, Number(idParam(req, 'webhookId'))),
    },
  ];
}
