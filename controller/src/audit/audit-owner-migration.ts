/**
 * Migration 0005-audit-owner: an audit row records the owner of the key that made the change
 * (the person, as self-approval compares them), beside the key's id and name, so "who did this"
 * survives a key's rename, revocation or a person using several keys.
 *
 * Rows from before have no owner (null): the key that wrote them may be gone or renamed, and
 * guessing from today's keys would put a name on a row that it never recorded.
 */
import type { Kysely, Migration } from 'kysely';

export const auditOwnerMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema as it was then, not today's Database type
  async up(k: Kysely<any>) {
    await k.schema.alterTable('audit_log').addColumn('actor_owner', 'varchar(255)').execute();
  },
};
