/**
 * Migration 0007-environment-browser-access: what browser clients of an environment need
 * (docs/api.md, "Browser clients"): the origins it allows on the evaluators' OFREP routes
 * (`allowed_origins`, a JSON array; null = none) and the secret that signs its stream tokens
 * (`stream_secret`, 256 random bits, base64url). Environments from before get a secret here, so
 * every environment has one; it never leaves the controller except in the snapshot envelope the
 * evaluators read.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';

/** A new stream-token secret: 256 random bits, base64url (43 characters). */
export function newStreamSecret(): string {
  return randomBytes(32).toString('base64url');
}

export const browserAccessMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration runs against the schema as it was then, not today's Database type
  async up(k: Kysely<any>) {
    await k.schema.alterTable('environments').addColumn('allowed_origins', 'text').execute();
    await k.schema.alterTable('environments').addColumn('stream_secret', 'varchar(64)').execute();
    const rows: { environment_id: string }[] = await k.selectFrom('environments').select('environment_id').execute();
    for (const r of rows) {
      await k
        .updateTable('environments')
        .set({ stream_secret: newStreamSecret() })
        .where('environment_id', '=', r.environment_id)
        .execute();
    }
  },
};
