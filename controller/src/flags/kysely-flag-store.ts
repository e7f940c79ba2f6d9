import type { Flag, FlagConfig } from '@flagship/evaluator';
import { type Kysely, type Selectable, sql } from 'kysely';
import { dialectOf } from '../db/create-database.ts';
import type { Database, FlagConfigsTable, FlagsTable } from '../db/schema.ts';
import { insertUnique } from '../db/unique-violation.ts';
import type { ConfigRecord, ConfigStore, FlagListQuery, FlagRecord, FlagStore } from './flag-store.ts';

const toFlag = (r: Selectable<FlagsTable>): FlagRecord => ({
  projectKey: r.project_key,
  key: r.key,
  definition: JSON.parse(r.definition) as Flag,
  archived: Number(r.archived) === 1,
  version: Number(r.version),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toConfig = (r: Selectable<FlagConfigsTable>): ConfigRecord => ({
  environmentId: r.environment_id,
  projectKey: r.project_key,
  flagKey: r.flag_key,
  config: JSON.parse(r.config) as FlagConfig,
  version: Number(r.version),
  updatedAt: r.updated_at,
});

export class KyselyFlagStore implements FlagStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(projectKey: string, key: string) {
    const row = await this.db
      .selectFrom('flags')
      .selectAll()
      .where('project_key', '=', projectKey)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && toFlag(row);
  }

  async list(projectKey: string, q: FlagListQuery) {
    let query = this.db.selectFrom('flags').selectAll().where('project_key', '=', projectKey);
    if (q.archived !== 'all') query = query.where('archived', '=', q.archived ? 1 : 0);
    if (q.type) query = query.where('type', '=', q.type);
    if (q.after !== undefined) query = query.where('key', '>', q.after);
    // instr() exists on both dialects and needs no LIKE escaping; lower() on both sides makes it
    // case-insensitive. The description lives in the JSON document: read with the dialect's JSON text.
    if (q.q) {
      const needle = q.q.toLowerCase();
      const description =
        dialectOf(this.db) === 'mysql'
          ? sql`json_unquote(json_extract(${sql.ref('definition')}, '$.description'))`
          : sql`json_extract(${sql.ref('definition')}, '$.description')`;
      query = query.where((eb) =>
        eb.or([
          eb(sql<number>`instr(lower(${sql.ref('key')}), ${needle})`, '>', 0),
          eb(sql<number>`instr(lower(coalesce(${description}, '')), ${needle})`, '>', 0),
        ]),
      );
    }
    // Tags live in the JSON document: filter in memory, reading in pages until the page is full.
    if (!q.tag) return (await query.orderBy('key').limit(q.limit).execute()).map(toFlag);
    const out: FlagRecord[] = [];
    let after = q.after;
    for (;;) {
      let page = query;
      if (after !== undefined) page = page.where('key', '>', after);
      const rows = (await page.orderBy('key').limit(500).execute()).map(toFlag);
      for (const f of rows) if (f.definition.tags?.includes(q.tag)) out.push(f);
      if (out.length >= q.limit || rows.length < 500) return out.slice(0, q.limit);
      after = rows[rows.length - 1]!.key;
    }
  }

  async listAll(projectKey: string) {
    return (
      await this.db.selectFrom('flags').selectAll().where('project_key', '=', projectKey).orderBy('key').execute()
    ).map(toFlag);
  }

  async countByProject(projectKey: string) {
    const r = await this.db
      .selectFrom('flags')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_key', '=', projectKey)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async insert(f: FlagRecord) {
    await insertUnique(`flag ${f.key}`, () =>
      this.db
        .insertInto('flags')
        .values({
          project_key: f.projectKey,
          key: f.key,
          type: f.definition.type,
          definition: JSON.stringify(f.definition),
          archived: f.archived ? 1 : 0,
          version: f.version,
          created_at: f.createdAt,
          updated_at: f.updatedAt,
        })
        .execute(),
    );
  }

  async update(
    projectKey: string,
    key: string,
    expectedVersion: number,
    patch: { definition: Flag; archived: boolean },
    now: string,
  ) {
    const r = await this.db
      .updateTable('flags')
      .set({
        definition: JSON.stringify(patch.definition),
        type: patch.definition.type,
        archived: patch.archived ? 1 : 0,
        version: expectedVersion + 1,
        updated_at: now,
      })
      .where('project_key', '=', projectKey)
      .where('key', '=', key)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}

export class KyselyConfigStore implements ConfigStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(environmentId: string, flagKey: string) {
    const row = await this.db
      .selectFrom('flag_configs')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('flag_key', '=', flagKey)
      .executeTakeFirst();
    return row && toConfig(row);
  }

  async getForUpdate(environmentId: string, flagKey: string) {
    let q = this.db
      .selectFrom('flag_configs')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('flag_key', '=', flagKey);
    if (dialectOf(this.db) === 'mysql') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && toConfig(row);
  }

  async listByEnvironment(environmentId: string) {
    return (
      await this.db
        .selectFrom('flag_configs')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .orderBy('flag_key')
        .execute()
    ).map(toConfig);
  }

  async listByFlag(projectKey: string, flagKey: string) {
    return (
      await this.db
        .selectFrom('flag_configs')
        .selectAll()
        .where('project_key', '=', projectKey)
        .where('flag_key', '=', flagKey)
        .orderBy('environment_id')
        .execute()
    ).map(toConfig);
  }

  async configsOf(projectKey: string, flagKeys: readonly string[]) {
    if (flagKeys.length === 0) return [];
    return (
      await this.db
        .selectFrom('flag_configs')
        .selectAll()
        .where('project_key', '=', projectKey)
        .where('flag_key', 'in', [...flagKeys])
        .orderBy('flag_key')
        .orderBy('environment_id')
        .execute()
    ).map(toConfig);
  }

  async insert(c: ConfigRecord) {
    await insertUnique(`config of ${c.flagKey} in ${c.environmentId}`, () =>
      this.db
        .insertInto('flag_configs')
        .values({
          environment_id: c.environmentId,
          project_key: c.projectKey,
          flag_key: c.flagKey,
          config: JSON.stringify(c.config),
          version: c.version,
          updated_at: c.updatedAt,
        })
        .execute(),
    );
  }

  async update(environmentId: string, flagKey: string, expectedVersion: number, config: FlagConfig, now: string) {
    const r = await this.db
      .updateTable('flag_configs')
      .set({ config: JSON.stringify(config), version: expectedVersion + 1, updated_at: now })
      .where('environment_id', '=', environmentId)
      .where('flag_key', '=', flagKey)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteByEnvironment(environmentId: string) {
    const r = await this.db.deleteFrom('flag_configs').where('environment_id', '=', environmentId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
