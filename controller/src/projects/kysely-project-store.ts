import type { Kysely, Selectable } from 'kysely';
import type { Database, ProjectsTable } from '../db/schema.ts';
import { insertUnique } from '../db/unique-violation.ts';
import type { ProjectRecord, ProjectStore } from './project-store.ts';

const toRecord = (r: Selectable<ProjectsTable>): ProjectRecord => ({
  key: r.key,
  name: r.name,
  description: r.description,
  version: Number(r.version),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class KyselyProjectStore implements ProjectStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string) {
    const row = await this.db.selectFrom('projects').selectAll().where('key', '=', key).executeTakeFirst();
    return row && toRecord(row);
  }

  async list() {
    return (await this.db.selectFrom('projects').selectAll().orderBy('key').execute()).map(toRecord);
  }

  async insert(p: ProjectRecord) {
    await insertUnique(`project ${p.key}`, () =>
      this.db
        .insertInto('projects')
        .values({
          key: p.key,
          name: p.name,
          description: p.description,
          version: p.version,
          created_at: p.createdAt,
          updated_at: p.updatedAt,
        })
        .execute(),
    );
  }

  async update(key: string, expectedVersion: number, patch: { name: string; description: string }, now: string) {
    const r = await this.db
      .updateTable('projects')
      .set({ name: patch.name, description: patch.description, version: expectedVersion + 1, updated_at: now })
      .where('key', '=', key)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(key: string) {
    const r = await this.db.deleteFrom('projects').where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
