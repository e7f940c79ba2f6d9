import { Router } from 'express';
import { API } from '../http/paths.ts';
import { idParam } from '../http/params.ts';
import { contextOf } from '../http/request-context.ts';
import { jsonBody } from '../http/request-body.ts';
import { checkShape } from '../http/shape.ts';
import { requireRole, requireUnrestricted } from '../auth/access.ts';
import type { WebhookRecord } from './webhook-store.ts';
import type { WebhookService } from './webhook-service.ts';

const view = (w: WebhookRecord) => ({ id: w.id, url: w.url, events: w.events, createdBy: w.createdBy, createdAt: w.createdAt });

export function webhookRoutes(webhooks: WebhookService): Router {
  const r = Router();
  r.get(`${API}/webhooks`, async (req, res) => {
    res.json({ items: (await webhooks.list(contextOf(req, res))).map(view) });
  });
  r.post(`${API}/webhooks`, async (req, res) => {
    const ctx = contextOf(req, res);
    requireRole(ctx.actor, 'admin');
    requireUnrestricted(ctx.actor);
    const body = jsonBody(req);
    checkShape(body, { url: { type: 'string', required: true, max: 2048 }, events: { type: 'string[]', max: 20 }, secret: { type: 'string', max: 128 } });
    const hook = await webhooks.create(ctx, body as { url: string; events?: string[]; secret?: string });
    // The secret is shown once, here; it is never listed again.
    res.status(201).json({ ...view(hook), secret: hook.secret });
  });
  r.delete(`${API}/webhooks/:webhookId`, async (req, res) => {
    await webhooks.delete(contextOf(req, res), Number(idParam(req, 'webhookId')));
    res.status(204).end();
  });
  return r;
}
