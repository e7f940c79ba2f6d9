/**
 * Migration 0003 on rows written before owners existed: a key's owner becomes its name, a
 * change request takes its author key's owner, a rollout its starter's name. The columns are
 * dropped from a migrated database to recreate the old shape, then the migration runs again.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf } from '../db/create-database.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../test-support/test-database.ts';
import { fourEyesMigration } from './four-eyes-migration.ts';

const T0 = '2025-01-01T00:00:00.000Z';

describe.each(DIALECTS)('migration 0003 on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => t?.drop());

  it('gives old keys, change requests and rollouts an owner', async () => {
    const db = t.db as any;
    for (const [table, column] of [
      ['api_keys', 'owner'],
      ['change_requests', 'author_owner'],
      ['change_requests', 'kind'],
      ['change_requests', 'payload'],
      ['rollouts', 'requested_by_owner'],
    ]) {
      await db.schema.alterTable(table).dropColumn(column).execute();
    }
    const key = (name: string, hash: string) => ({
      name,
      role: 'approver',
      environments: null,
      token_hash: hash,
      token_prefix: 'fsk_',
      created_at: T0,
      created_by: null,
      revoked_at: null,
    });
    const alice = Number(
      (await db.insertInto('api_keys').values(key('alice', 'h1')).executeTakeFirstOrThrow()).insertId,
    );
    await db.insertInto('api_keys').values(key('ci', 'h2')).execute();
    await db.insertInto('api_keys').values(key('ADMIN_TOKEN', 'h3')).execute();
    await db
      .insertInto('change_requests')
      .values({
        environment_id: 'p.prod',
        project_key: 'p',
        flag_key: 'f',
        config: '{}',
        base_version: 1,
        comment: '',
        status: 'pending',
        author_key_id: String(alice),
        author_name: 'alice',
        reviews: '[]',
        applied_version: null,
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    await db
      .insertInto('change_requests')
      .values({
        environment_id: 'p.prod',
        project_key: 'p',
        flag_key: 'f',
        config: '{}',
        base_version: 1,
        comment: '',
        status: 'pending',
        author_key_id: 'system',
        author_name: 'controller',
        reviews: '[]',
        applied_version: null,
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    await db
      .insertInto('rollouts')
      .values({
        project_key: 'p',
        environment_id: 'p.prod',
        flag_key: 'f',
        policy_name: 'x',
        policy: '{}',
        treatment: 'on',
        control: 'off',
        status: 'running',
        step_index: 0,
        step_started_at: T0,
        weight_units: 0,
        tick_seq: 1,
        next_tick_at: T0,
        approved_step: null,
        counters: '{}',
        last_reason: null,
        version: 1,
        created_by: 'ci',
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    await fourEyesMigration(dialectOf(t.db) === 'mysql' ? sql`longtext` : sql`text`).up(db);
    expect(await db.selectFrom('api_keys').select(['name', 'owner']).orderBy('id').execute()).toEqual([
      { name: 'alice', owner: 'alice' },
      { name: 'ci', owner: 'ci' },
      { name: 'ADMIN_TOKEN', owner: 'bootstrap admin' },
    ]);
    expect(
      await db.selectFrom('change_requests').select(['author_owner', 'kind', 'payload']).orderBy('id').execute(),
    ).toEqual([
      { author_owner: 'alice', kind: 'config', payload: null },
      { author_owner: 'controller', kind: 'config', payload: null },
    ]);
    expect(await db.selectFrom('rollouts').select('requested_by_owner').execute()).toEqual([
      { requested_by_owner: 'ci' },
    ]);
  });
});
