/**
 * Migration 0004 (webhooks hardening): the webhook outbox, and room for sealed secrets.
 * Rollout events are written to `webhook_outbox` in the transaction that causes them, one row per
 * subscribed webhook; the workers' drainer moves rows into the BullMQ delivery queue and deletes
 * them only once queued (workers/src/webhooks/webhook-outbox-drainer.ts). A row's id is the
 * delivery id a receiver sees and the BullMQ job id, so draining a row twice delivers it once.
 */
import { type Kysely, type Migration, type RawBuilder, sql } from 'kysely';

export interface WebhookOutboxTable {
  /** The delivery id (a UUID): X-Flagship-Delivery, the body's `id`, the BullMQ job id. */
  id: string;
  webhook_id: number;
  event: string;
  /** JSON: the event's data as the receiver gets it. */
  payload: string;
  /** When the event happened (the body's `at`). */
  created_at: string;
}

export interface WebhookTables {
  webhook_outbox: WebhookOutboxTable;
}

/** `doc` is the dialect's unbounded text type, as in migrations.ts. */
export function webhookMigration(dialect: 'mysql' | 'sqlite', doc: RawBuilder<unknown>): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema as it was then, not today's Database type
    async up(k: Kysely<any>) {
      await k.schema
        .createTable('webhook_outbox')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('webhook_id', 'integer', (c) => c.notNull())
        .addColumn('event', 'varchar(64)', (c) => c.notNull())
        .addColumn('payload', doc, (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await k.schema
        .createIndex('webhook_outbox_created_idx')
        .on('webhook_outbox')
        .columns(['created_at', 'id'])
        .execute();
      // A sealed 128-character secret is ~230 characters (secret-box.ts). SQLite does not enforce
      // varchar lengths; MySQL needs the column widened.
      if (dialect === 'mysql') await sql`ALTER TABLE webhooks MODIFY secret varchar(512) NOT NULL`.execute(k);
    },
  };
}
