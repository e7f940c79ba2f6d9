/**
 * The database half of a kill made through Redis while the database was down (emergency-kill.ts):
 * the workers' kill reconciler calls {@link writePendingKill} once the database answers. Here, in
 * the controller, because it writes a flag config, its audit row and its outbox row the way every
 * other kill is written (flags/config-writes.ts); the reconciler only decides when.
 */
import type { Kysely } from 'kysely';
import { auditRecord } from '../audit/audit-record.ts';
import { createKyselyStores } from '../db/kysely-stores.ts';
import type { Database } from '../db/schema.ts';
import { writeConfig } from '../flags/config-writes.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { PendingKill } from './emergency-kill.ts';

/** The audit row's request id of a pending kill: a second write of the same kill finds it and does nothing. */
export const pendingKillAuditRequestId = (pendingId: string) => `emergency-kill:${pendingId}`;

/**
 * Writes one pending kill in one transaction: per environment the flag's config is disabled
 * with its version bumped, an audit row names the original actor and reason, and an outbox row
 * makes the publisher ship a snapshot with the flag disabled. A no-op when the kill's audit row
 * exists already (a retry after a crash between COMMIT and the pending entry's removal).
 */
export async function writePendingKill(db: Kysely<Database>, kill: PendingKill, now: string): Promise<void> {
  const requestId = pendingKillAuditRequestId(kill.id);
  const ctx: RequestContext = {
    actor: {
      keyId: kill.actor.keyId,
      name: kill.actor.name,
      owner: kill.actor.name,
      role: 'admin',
      environments: null,
    },
    requestId,
  };
  const reason = `${kill.reason} [killed through Redis at ${kill.at} while the database was unreachable${kill.requestId ? `; request ${kill.requestId}` : ''}]`;
  await db.transaction().execute(async (trx) => {
    const done = await trx
      .selectFrom('audit_log')
      .select('id')
      .where('request_id', '=', requestId)
      .limit(1)
      .executeTakeFirst();
    if (done) return;
    const s = createKyselyStores(trx);
    const flag = await s.flags.get(kill.projectKey, kill.flagKey);
    for (const environmentId of kill.environmentIds) {
      const current = flag ? await s.configs.getForUpdate(environmentId, kill.flagKey) : undefined;
      if (flag && current?.config.enabled) {
        await writeConfig(s, ctx, {
          flag,
          environmentId,
          expectedVersion: current.version,
          config: { ...current.config, enabled: false },
          action: 'kill',
          reason,
          outboxKind: 'kill',
          now,
        });
        continue;
      }
      // Already off (or gone): still on the record that someone pulled the switch, and an
      // outbox row so the next snapshot clears the Redis kill entry.
      const state = current ? { ...current.config, version: current.version } : null;
      await s.audit.append(
        auditRecord(ctx, now, {
          action: 'kill',
          entityType: 'flag-config',
          entityKey: kill.flagKey,
          projectKey: kill.projectKey,
          environmentId,
          flagKey: kill.flagKey,
          before: state,
          after: state,
          reason,
        }),
      );
      await s.outbox.append(environmentId, 'kill', kill.flagKey, now);
    }
  });
}
