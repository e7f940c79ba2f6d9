/**
 * Migration 0003: who asked, by person. API keys carry an `owner` (a person's name or email),
 * change requests record their author's owner and grow kinds beyond flag configs, and a rollout
 * records the owner who asked for its current run. Self-approval compares owners, not key ids.
 *
 * Rows from before this migration have no owner. A key's owner becomes its name (the start-up
 * keys ADMIN_TOKEN / first admin: "bootstrap admin", as new ones get): two old keys
 * with the same name count as one person, which can only refuse an approval, never allow one
 * that would otherwise be refused (docs/api.md, "Owners"). Old change requests take their
 * author key's owner, old rollouts their starter's name (what `created_by` held).
 */
import { type Kysely, type Migration, sql } from 'kysely';

export function fourEyesMigration(doc: ReturnType<typeof sql>): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema as it was then, not today's Database type
    async up(k: Kysely<any>) {
      await k.schema
        .alterTable('api_keys')
        .addColumn('owner', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .execute();
      await k
        .updateTable('api_keys')
        .set({ owner: sql.ref('name') })
        .execute();
      // The controller's own start-up keys, as api-key-service.ts names their owner today.
      await k
        .updateTable('api_keys')
        .set({ owner: 'bootstrap admin' })
        .where('name', 'in', ['ADMIN_TOKEN', 'first admin'])
        .where('created_by', 'is', null)
        .execute();

      await k.schema
        .alterTable('change_requests')
        .addColumn('kind', 'varchar(24)', (c) => c.notNull().defaultTo('config'))
        .execute();
      // The kind's own fields (definition, rollout parameters with the pinned policy); null for configs.
      await k.schema.alterTable('change_requests').addColumn('payload', doc).execute();
      await k.schema
        .alterTable('change_requests')
        .addColumn('author_owner', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .execute();
      const keys = await k.selectFrom('api_keys').select(['id', 'owner']).execute();
      for (const key of keys) {
        await k
          .updateTable('change_requests')
          .set({ author_owner: key.owner as string })
          .where('author_key_id', '=', String(key.id))
          .execute();
      }
      await k
        .updateTable('change_requests')
        .set({ author_owner: sql.ref('author_name') })
        .where('author_owner', '=', '')
        .execute();

      await k.schema
        .alterTable('rollouts')
        .addColumn('requested_by_owner', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .execute();
      await k
        .updateTable('rollouts')
        .set({ requested_by_owner: sql.ref('created_by') })
        .execute();
    },
  };
}
