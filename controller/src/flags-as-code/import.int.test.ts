/** Flags-as-code at the size of a real environment: 1,000 flags, on both dialects. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { databaseChecksum, DIALECTS } from '../test-support/test-database.ts';
import { onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';

const N = 1000;
const key = (i: number) => `flag-${String(i).padStart(4, '0')}`;

function document(mutate?: (flags: Record<string, any>) => void) {
  const flags: Record<string, any> = {};
  for (let i = 0; i < N; i++) {
    flags[key(i)] =
      i % 3 === 0
        ? {
            type: 'string',
            variants: { red: 'red', blue: 'blue' },
            tags: ['import'],
            salt: i.toString(16).padStart(32, '0'),
            config: {
              enabled: true,
              offVariant: 'red',
              prerequisites: [],
              targets: [{ variant: 'blue', values: [`user-${i}`] }],
              rules: [
                {
                  id: 'r1',
                  conditions: [
                    { attribute: 'plan', op: 'in', values: ['pro'] },
                    { attribute: 'x', op: 'inSegment', values: ['beta'] },
                  ],
                  serve: {
                    split: [
                      { variant: 'blue', weight: 25_000 },
                      { variant: 'red', weight: 75_000 },
                    ],
                  },
                },
              ],
              defaultRule: { variant: 'red' },
            },
          }
        : {
            type: 'boolean',
            variants: { on: true, off: false },
            salt: i.toString(16).padStart(32, 'a'),
            config: onConfig({ enabled: i % 2 === 0 }),
          };
  }
  mutate?.(flags);
  return {
    format: 'flagship/v1',
    environment: 'p.dev',
    flags,
    segments: { beta: { included: ['u1'], excluded: [], rules: [] } },
  };
}

describe.each(DIALECTS)('import and export on %s', (dialect) => {
  let t: TestServer;
  const E = '/api/v1/projects/p/environments/dev';
  beforeAll(async () => {
    t = await startTestServer(dialect);
    await seedProject(t, 'p', [{ key: 'dev' }, { key: 'prod' }]);
  });
  afterAll(async () => t?.close());

  it('a dry run of 1,000 flags reports them all as created and writes nothing', async () => {
    const before = await databaseChecksum(t.plane.db);
    const r = await t.request('POST', `${E}/import?dryRun=true`, { body: document() });
    expect(r.status).toBe(200);
    expect(r.body.summary).toEqual({
      flags: { created: N, updated: 0, unchanged: 0, archived: 0 },
      segments: { created: 1, updated: 0, unchanged: 0, deleted: 0 },
    });
    expect(r.body.flags[key(7)]).toBe('created');
    expect(await databaseChecksum(t.plane.db)).toBe(before);
  });

  it('applies 1,000 flags in one go; export gives the same document back', async () => {
    const lastOutbox = Number(
      (
        await t.plane.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.max('id').as('m'))
          .executeTakeFirst()
      )?.m ?? 0,
    );
    const r = await t.request('POST', `${E}/import`, { body: document() });
    expect(r.status).toBe(200);
    expect(r.body.summary.flags.created).toBe(N);
    const exported = await t.request('GET', `${E}/export?format=json`);
    expect(exported.body).toEqual(document());
    // Other environments got the new flags, off.
    expect((await t.request('GET', `/api/v1/projects/p/environments/prod/flags/${key(3)}`)).body).toMatchObject({
      enabled: false,
      offVariant: 'red',
      version: 1,
    });
    const outbox = await t.plane.db.selectFrom('outbox').selectAll().where('id', '>', lastOutbox).execute();
    expect(outbox.map((o) => [o.environment_id, o.kind]).sort()).toEqual([
      ['p.dev', 'environment'],
      ['p.prod', 'environment'],
    ]);
    expect((await t.request('GET', `/api/v1/audit?action=import&environment=p.dev&limit=500`)).body.items).toHaveLength(
      500,
    );
  });

  it('re-importing the YAML export changes nothing; a diff shows updates and archives', async () => {
    const yaml = await t.request('GET', `${E}/export?format=yaml`);
    expect(yaml.headers.get('content-type')).toContain('application/yaml');
    expect(parseYaml(yaml.text)).toEqual(document());
    const before = await databaseChecksum(t.plane.db);
    const same = await t.request('POST', `${E}/import`, { raw: yaml.text, contentType: 'application/yaml' });
    expect(same.status).toBe(200);
    expect(same.body.summary.flags).toEqual({ created: 0, updated: 0, unchanged: N, archived: 0 });
    expect(await databaseChecksum(t.plane.db)).toBe(before);
    const changed = document((f) => {
      for (let i = 1; i <= 10; i++) f[key(i * 2)].config.enabled = false;
      for (let i = 0; i < 5; i++) delete f[key(990 + i)];
    });
    const dry = await t.request('POST', `${E}/import?dryRun=true`, { body: changed });
    expect(dry.body.summary.flags).toEqual({ created: 0, updated: 10, unchanged: N - 15, archived: 5 });
    expect(dry.body.flags[key(990)]).toBe('archived');
    expect(await databaseChecksum(t.plane.db)).toBe(before);
  });

  it('one bad flag among 1,000 rejects the whole import with every problem and its path; nothing changes', async () => {
    const before = await databaseChecksum(t.plane.db);
    const bad = document((f) => {
      f[key(500)].config.offVariant = 'green';
      f[key(502)].variants.on = 'not a boolean';
      for (let i = 0; i < 500; i++) f[key(i)].config.enabled = !f[key(i)].config.enabled;
    });
    const r = await t.request('POST', `${E}/import`, { body: bad });
    expect(r.status).toBe(422);
    const paths = r.body.error.problems.map((p: { path: string }) => p.path);
    expect(paths).toContain(`flags.${key(500)}.config.offVariant`);
    expect(paths.some((p: string) => p.startsWith(`flags.${key(502)}.variants`))).toBe(true);
    expect(await databaseChecksum(t.plane.db)).toBe(before);
    const notDoc = await t.request('POST', `${E}/import`, { raw: 'flags: [1, 2', contentType: 'application/yaml' });
    expect(notDoc.status).toBe(400);
    expect(await databaseChecksum(t.plane.db)).toBe(before);
  });
});
