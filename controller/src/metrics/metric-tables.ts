/**
 * Migration 0006-metric-definitions: a project's metric definitions (impact API), one row per
 * (project, key), the definition as a JSON document beside its version.
 */
import type { Generated, Kysely, Migration, RawBuilder } from 'kysely';

export interface MetricDefinitionsTable {
  id: Generated<number>;
  project_key: string;
  key: string;
  /** JSON of the MetricDefinition without its key (the column). */
  document: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface MetricTables {
  metric_definitions: MetricDefinitionsTable;
}

export function metricMigration(doc: RawBuilder<unknown>): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema as it was then, not today's Database type
    async up(k: Kysely<any>) {
      await k.schema
        .createTable('metric_definitions')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('project_key', 'varchar(191)', (c) => c.notNull())
        .addColumn('key', 'varchar(191)', (c) => c.notNull())
        .addColumn('document', doc, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .addUniqueConstraint('metric_definitions_project_key_uq', ['project_key', 'key'])
        .execute();
    },
  };
}
