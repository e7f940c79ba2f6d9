import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { WebhookOutboxRow, WebhookOutboxStore, WebhookRecord, WebhookStore } from './webhook-store.ts';

type Row = { id: number; url: string; secret: string; events: string; created_by: string; created_at: string };
const toRecord = (r: Row): WebhookRecord => ({
  id: Number(r.id),
  url: r.url,
  secret: r.secret,
  events: JSON.parse(r.events) as string[],
  createdBy: r.created_by,
  createdAt: r.created_at,
});

export class KyselyWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(w: Omit<WebhookRecord, 'id'>): Promise<number> {
    const r = await this.db
      .insertInto('webhooks')
      .values({
        url: w.url,
        secret: w.secret,
        events: JSON.stringify(w.events),
        created_by: w.createdBy,
        created_at: w.createdAt,
      })
      .executeTakeFirstOrThrow();
    return Number(r.insertId);
  }

  async get(id: number): Promise<WebhookRecord | undefined> {
    const r = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  async list(): Promise<WebhookRecord[]> {
    return (await this.db.selectFrom('webhooks').selectAll().orderBy('id').execute()).map(toRecord);
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async setSecret(id: number, secret: string): Promise<void> {
    await this.db.updateTable('webhooks').set({ secret }).where('id', '=', id).execute();
  }
}

export class KyselyWebhookOutboxStore implements WebhookOutboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(row: WebhookOutboxRow): Promise<void> {
    await this.db
      .insertInto('webhook_outbox')
      .values({
        id: row.id,
        webhook_id: row.webhookId,
        event: row.event,
        payload: JSON.stringify(row.payload),
        created_at: row.createdAt,
      })
      .execute();
  }

  async list(limit: number): Promise<WebhookOutboxRow[]> {
    const rows = await this.db
      .selectFrom('webhook_outbox')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      webhookId: Number(r.webhook_id),
      event: r.event,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      createdAt: r.created_at,
    }));
  }

  async delete(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.db
      .deleteFrom('webhook_outbox')
      .where('id', 'in', [...ids])
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
