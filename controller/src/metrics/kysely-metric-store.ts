import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.ts';
import { insertUnique } from '../db/unique-violation.ts';
import type { MetricDefinition } from './metric-definition.ts';
import type { MetricDefinitionsTable } from './metric-tables.ts';
import type { MetricRecord, MetricStore } from './metric-store.ts';

const toRecord = (r: Selectable<MetricDefinitionsTable>): MetricRecord => ({
  projectKey: r.project_key,
  definition: { ...(JSON.parse(r.document) as Omit<MetricDefinition, 'key'>), key: r.key } as MetricDefinition,
  version: Number(r.version),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const documentOf = (d: MetricDefinition): string => {
  const { key: _k, ...rest } = d;
  return JSON.stringify(rest);
};

export class KyselyMetricStore implements MetricStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(projectKey: string, key: string) {
    const row = await this.db
      .selectFrom('metric_definitions')
      .selectAll()
      .where('project_key', '=', projectKey)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(projectKey: string) {
    return (
      await this.db
        .selectFrom('metric_definitions')
        .selectAll()
        .where('project_key', '=', projectKey)
        .orderBy('key')
        .execute()
    ).map(toRecord);
  }

  async insert(r: MetricRecord) {
    await insertUnique(`metric ${r.definition.key}`, () =>
      this.db
        .insertInto('metric_definitions')
        .values({
          project_key: r.projectKey,
          key: r.definition.key,
          document: documentOf(r.definition),
          version: r.version,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
        })
        .execute(),
    );
  }

  async update(projectKey: string, key: string, expectedVersion: number, definition: MetricDefinition, now: string) {
    const r = await this.db
      .updateTable('metric_definitions')
      .set({ document: documentOf(definition), version: expectedVersion + 1, updated_at: now })
      .where('project_key', '=', projectKey)
      .where('key', '=', key)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(projectKey: string, key: string) {
    const r = await this.db
      .deleteFrom('metric_definitions')
      .where('project_key', '=', projectKey)
      .where('key', '=', key)
      .executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
