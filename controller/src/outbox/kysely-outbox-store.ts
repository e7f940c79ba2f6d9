import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { OutboxKind, OutboxRow, OutboxStore } from './outbox-store.ts';

export class KyselyOutboxStore implements OutboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(environmentId: string, kind: OutboxKind, entityKey: string | null, now: string) {
    await this.db
      .insertInto('outbox')
      .values({ environment_id: environmentId, kind, entity_key: entityKey, created_at: now })
      .execute();
  }

  async list(limit: number) {
    const rows = await this.db.selectFrom('outbox').selectAll().orderBy('id').limit(limit).execute();
    return rows.map((r): OutboxRow => ({
      id: Number(r.id),
      environmentId: r.environment_id,
      kind: r.kind as OutboxKind,
      entityKey: r.entity_key,
      createdAt: r.created_at,
    }));
  }

  async stillPending(ids: readonly number[]) {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('outbox').select('id').where('id', 'in', ids).orderBy('id').execute();
    return rows.map((r) => Number(r.id));
  }

  async delete(ids: number[]) {
    if (ids.length === 0) return 0;
    const r = await this.db.deleteFrom('outbox').where('id', 'in', ids).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async hasPending(environmentId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('outbox')
      .select('id')
      .where('environment_id', '=', environmentId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
