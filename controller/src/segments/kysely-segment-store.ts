import type { Segment } from '@flagship/evaluator';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SegmentsTable } from '../db/schema.ts';
import { insertUnique } from '../db/unique-violation.ts';
import type { SegmentRecord, SegmentStore } from './segment-store.ts';

const toRecord = (r: Selectable<SegmentsTable>): SegmentRecord => ({
  environmentId: r.environment_id,
  segment: { ...(JSON.parse(r.document) as Omit<Segment, 'version'>), key: r.key, version: Number(r.version) },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const documentOf = (s: Segment): string => {
  const { version: _v, ...rest } = s;
  return JSON.stringify(rest);
};

export class KyselySegmentStore implements SegmentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(environmentId: string, key: string) {
    const row = await this.db
      .selectFrom('segments')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(environmentId: string) {
    return (
      await this.db
        .selectFrom('segments')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .orderBy('key')
        .execute()
    ).map(toRecord);
  }

  async insert(r: SegmentRecord) {
    await insertUnique(`segment ${r.segment.key}`, () =>
      this.db
        .insertInto('segments')
        .values({
          environment_id: r.environmentId,
          key: r.segment.key,
          document: documentOf(r.segment),
          version: r.segment.version,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
        })
        .execute(),
    );
  }

  async update(environmentId: string, key: string, expectedVersion: number, segment: Segment, now: string) {
    const r = await this.db
      .updateTable('segments')
      .set({ document: documentOf(segment), version: expectedVersion + 1, updated_at: now })
      .where('environment_id', '=', environmentId)
      .where('key', '=', key)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(environmentId: string, key: string) {
    const r = await this.db
      .deleteFrom('segments')
      .where('environment_id', '=', environmentId)
      .where('key', '=', key)
      .executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async deleteByEnvironment(environmentId: string) {
    const r = await this.db.deleteFrom('segments').where('environment_id', '=', environmentId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
