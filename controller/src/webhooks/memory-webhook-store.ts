import { copyOf, type MemoryDatabase, sortBy, viaJson } from '../db/memory-database.ts';
import type { WebhookOutboxRow, WebhookOutboxStore, WebhookRecord, WebhookStore } from './webhook-store.ts';

/** The webhook store in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryWebhookStore implements WebhookStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<WebhookRecord>('webhooks');
  }

  async insert(w: Omit<WebhookRecord, 'id'>) {
    const id = this.db.nextId('webhooks');
    this.rows.set(String(id), {
      id,
      url: w.url,
      secret: w.secret,
      events: [...w.events],
      createdBy: w.createdBy,
      createdAt: w.createdAt,
    });
    return id;
  }

  async get(id: number) {
    const row = this.rows.get(String(id));
    return row && copyOf(row);
  }

  async list() {
    return sortBy([...this.rows.values()], (w) => w.id).map(copyOf);
  }

  async delete(id: number) {
    return this.rows.delete(String(id));
  }

  async setSecret(id: number, secret: string) {
    const row = this.rows.get(String(id));
    if (row) this.rows.set(String(id), { ...row, secret });
  }
}

/** The webhook outbox in memory; held to the kysely store's contract (test-support/store-contract.ts). */
export class MemoryWebhookOutboxStore implements WebhookOutboxStore {
  constructor(private readonly db: MemoryDatabase) {}

  private get rows() {
    return this.db.table<WebhookOutboxRow>('webhook_outbox');
  }

  async append(row: WebhookOutboxRow) {
    // The id is the table's primary key: the database refuses a second row with it.
    if (this.rows.has(row.id)) throw new Error(`webhook outbox row ${row.id} already exists`);
    this.rows.set(row.id, {
      id: row.id,
      webhookId: row.webhookId,
      event: row.event,
      payload: viaJson(row.payload),
      createdAt: row.createdAt,
    });
  }

  async list(limit: number) {
    const byId = sortBy([...this.rows.values()], (r) => r.id);
    return sortBy(byId, (r) => r.createdAt)
      .slice(0, limit)
      .map(copyOf);
  }

  async delete(ids: readonly string[]) {
    let n = 0;
    for (const id of new Set(ids)) if (this.rows.delete(id)) n++;
    return n;
  }
}
