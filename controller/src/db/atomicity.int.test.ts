/**
 * A failure injected after a change's statements but before COMMIT leaves nothing behind:
 * not the change, not its audit row, not its outbox row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseChecksum, DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

describe.each(DIALECTS)('atomic writes on %s', (dialect) => {
  let t: TestServer;
  let armed = false;
  let fired = 0;
  beforeAll(async () => {
    t = await startTestServer(dialect, {
      hooks: {
        beforeCommit: () => {
          if (armed) {
            fired++;
            throw new Error('injected failure before commit');
          }
        },
      },
    });
    await seedProject(t, 'p', [{ key: 'dev' }, { key: 'prod' }]);
    await t.request('POST', '/api/v1/projects/p/flags', { body: booleanFlag('f') });
    await t.request('POST', '/api/v1/projects/p/environments/dev/segments', { body: { key: 's' } });
  });
  afterAll(async () => t?.close());

  const count = async (table: 'audit_log' | 'outbox') =>
    Number(
      (
        await t.plane.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  const writes: Array<[string, string, unknown]> = [
    ['PUT', '/api/v1/projects/p/environments/dev/flags/f', { ...onConfig(), version: 1 }],
    ['POST', '/api/v1/projects/p/flags', booleanFlag('g')],
    ['PUT', '/api/v1/projects/p/flags/f', { variants: { on: true, off: false }, description: 'x', version: 1 }],
    ['POST', '/api/v1/projects/p/flags/f/kill', { reason: 'r' }],
    ['POST', '/api/v1/projects/p/flags/f/archive', {}],
    ['PUT', '/api/v1/projects/p/environments/dev/segments/s', { included: ['a'], version: 1 }],
    ['POST', '/api/v1/projects/p/environments', { key: 'qa' }],
    [
      'POST',
      '/api/v1/projects/p/environments/dev/import',
      { flags: { h: { ...booleanFlag('h'), key: undefined, config: onConfig() } } },
    ],
    ['POST', '/api/v1/api-keys', { name: 'k', owner: 'o', role: 'viewer' }],
  ];

  it.each(writes)('%s %s commits nothing when the commit fails', async (method, path, body) => {
    // Enable f first so the kill has something to do.
    if (path.endsWith('/kill')) {
      armed = false;
      const cur = (await t.request('GET', '/api/v1/projects/p/environments/prod/flags/f')).body;
      await t.request('PUT', '/api/v1/projects/p/environments/prod/flags/f', {
        body: { ...onConfig(), version: cur.version },
      });
    }
    const before = await databaseChecksum(t.plane.db);
    const [audit, outbox] = [await count('audit_log'), await count('outbox')];
    armed = true;
    const firedBefore = fired;
    const r = await t.request(method, path, { body });
    armed = false;
    expect(fired).toBe(firedBefore + 1);
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('INTERNAL');
    expect(await count('audit_log')).toBe(audit);
    expect(await count('outbox')).toBe(outbox);
    expect(await databaseChecksum(t.plane.db)).toBe(before);
    // The same request succeeds once the fault is gone: the failure was the injected one.
    expect((await t.request(method, path, { body })).status).toBeLessThan(300);
    expect(await count('audit_log')).toBeGreaterThan(audit);
  });
});
