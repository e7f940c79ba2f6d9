/**
 * Optimistic concurrency over HTTP: conflicting writers of one flag config. Exactly one wins
 * per version, the rest get 409, every success has exactly one audit row, nothing is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

const URL = '/api/v1/projects/p/environments/dev/flags/hot';

describe.each(DIALECTS)('concurrent config writes on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(dialect);
    await seedProject(t, 'p', [{ key: 'dev' }]);
    await t.request('POST', '/api/v1/projects/p/flags', { body: booleanFlag('hot') });
  });
  afterAll(async () => t?.close());

  const auditRows = () =>
    t.plane.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_type', '=', 'flag-config')
      .where('flag_key', '=', 'hot')
      .orderBy('id')
      .execute();

  it('200 writers on the same version: one 200, 199 409 with the current version', async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.request('PUT', URL, {
          body: { ...onConfig({ targets: [{ variant: 'on', values: [`writer-${i}`] }] }), version: 1 },
        }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(199);
    for (const r of replies.filter((x) => x.status === 409))
      expect(r.body.error).toMatchObject({ code: 'STALE_VERSION', currentVersion: 2 });
    const winner = replies.findIndex((r) => r.status === 200);
    const stored = await t.request('GET', URL);
    // The stored config is the winner's, not a mix and not a loser's.
    expect(stored.body).toEqual({
      ...onConfig({ targets: [{ variant: 'on', values: [`writer-${winner}`] }] }),
      version: 2,
    });
    expect(await auditRows()).toHaveLength(1);
    const outbox = await t.plane.db.selectFrom('outbox').selectAll().where('kind', '=', 'flag-config').execute();
    expect(outbox).toHaveLength(1);
  });

  it('read-modify-write with retries: every writer lands once, versions are consecutive, no update is lost', async () => {
    const writers = 25;
    let attempts = 0;
    let successes = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        for (;;) {
          attempts++;
          const current = await t.request('GET', URL);
          const { version, ...config } = current.body;
          const values = [...config.targets[0].values, `rmw-${i}`];
          const r = await t.request('PUT', URL, {
            body: { ...config, targets: [{ variant: 'on', values }] },
            headers: { 'if-match': `"${version}"` },
          });
          if (r.status === 200) {
            successes++;
            return;
          }
          expect(r.status).toBe(409);
        }
      }),
    );
    expect(successes).toBe(writers);
    expect(attempts).toBeGreaterThanOrEqual(writers);
    const final = (await t.request('GET', URL)).body;
    expect(final.version).toBe(2 + writers);
    for (let i = 0; i < writers; i++) expect(final.targets[0].values).toContain(`rmw-${i}`);
    const rows = await auditRows();
    expect(rows).toHaveLength(1 + writers);
    // One winner per version: each audit row moves the version by exactly one, none repeats.
    const versions = rows.map((r) => (JSON.parse(r.after_json!) as { version: number }).version);
    expect(versions).toEqual(Array.from({ length: 1 + writers }, (_, i) => i + 2));
  });
});
