import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { WebhookRecord, WebhookStore } from './webhook-store.ts';

export class KyselyWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(w: Omit<WebhookRecord, 'id'>): Promise<number> {
    const r = await this.db.insertInto('webhooks').values({
      url: w.url, secret: w.secret, events: JSON.stringify(w.events), created_by: w.createdBy, created_at: w.createdAt,
    }).executeTakeFirstOrThrow();
    return Number(r.insertId);
  }

  async get(id: number): Promise<WebhookRecord | undefined> {
    const r = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? { id: Number(r.id), url: r.url, secret: r.secret, events: JSON.parse(r.events), createdBy: r.created_by, createdAt: r.created_at } : undefined;
  }

  async list(): Promise<WebhookRecord[]> {
    const rows = await this.db.selectFrom('webhooks').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ id: Number(r.id), url: r.url, secret: r.secret, events: JSON.parse(r.events), createdBy: r.created_by, createdAt: r.created_at }));
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
