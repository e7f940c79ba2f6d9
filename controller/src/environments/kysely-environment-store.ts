import type { Kysely, Selectable } from 'kysely';
import type { Database, EnvironmentsTable } from '../db/schema.ts';
import { insertUnique } from '../db/unique-violation.ts';
import type { EnvironmentPatch, EnvironmentRecord, EnvironmentStore, NewEnvironment } from './environment-store.ts';

const toRecord = (r: Selectable<EnvironmentsTable>): EnvironmentRecord => ({
  id: r.environment_id,
  projectKey: r.project_key,
  key: r.key,
  name: r.name,
  requireApproval: Number(r.require_approval) === 1,
  version: Number(r.version),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  allowedOrigins: r.allowed_origins === null ? [] : (JSON.parse(r.allowed_origins) as string[]),
});

const originsColumn = (origins: readonly string[] | undefined): string | null =>
  origins === undefined || origins.length === 0 ? null : JSON.stringify(origins);

export class KyselyEnvironmentStore implements EnvironmentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(environmentId: string) {
    const row = await this.db
      .selectFrom('environments')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async listByProject(projectKey: string) {
    return (
      await this.db
        .selectFrom('environments')
        .selectAll()
        .where('project_key', '=', projectKey)
        .orderBy('key')
        .execute()
    ).map(toRecord);
  }

  async insert(e: NewEnvironment) {
    await insertUnique(`environment ${e.id}`, () =>
      this.db
        .insertInto('environments')
        .values({
          environment_id: e.id,
          project_key: e.projectKey,
          key: e.key,
          name: e.name,
          require_approval: e.requireApproval ? 1 : 0,
          version: e.version,
          created_at: e.createdAt,
          updated_at: e.updatedAt,
          allowed_origins: originsColumn(e.allowedOrigins),
          stream_secret: null,
        })
        .execute(),
    );
  }

  async update(environmentId: string, expectedVersion: number, patch: EnvironmentPatch, now: string) {
    const r = await this.db
      .updateTable('environments')
      .set({
        name: patch.name,
        require_approval: patch.requireApproval ? 1 : 0,
        version: expectedVersion + 1,
        updated_at: now,
        ...(patch.allowedOrigins === undefined ? {} : { allowed_origins: originsColumn(patch.allowedOrigins) }),
      })
      .where('environment_id', '=', environmentId)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(environmentId: string) {
    const r = await this.db.deleteFrom('environments').where('environment_id', '=', environmentId).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async streamSecret(environmentId: string) {
    const row = await this.db
      .selectFrom('environments')
      .select('stream_secret')
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return row?.stream_secret ?? undefined;
  }

  async setStreamSecret(environmentId: string, secret: string) {
    const r = await this.db
      .updateTable('environments')
      .set({ stream_secret: secret })
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
