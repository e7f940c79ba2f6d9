/**
 * Fuzz: thousands of mutated or random bodies (seeded, bounded in count and time) against every
 * write route that takes a body. No 5xx, the server keeps serving, rejected requests leave the
 * database byte-for-byte unchanged, and earlier audit rows are never altered.
 *
 * YAML imports are fuzzed against a controller in a child process (`npm start`'s entry point):
 * a parser stack overflow there was a fatal V8 error, which no in-process test can observe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { type SupervisedChild, Supervisor, waitForLine } from '../../../scripts/stack/supervisor.ts';
import { hostileYaml, JUNK_TEXTS, mutate, prng, randomValue } from '../test-support/fuzz.ts';
import { databaseChecksum, databaseFingerprint, DIALECTS } from '../test-support/test-database.ts';
import { booleanFlag, onConfig, seedProject, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { MapPolicyCatalog } from '../rollouts/policy-catalog.ts';
import { validatePolicy } from '../rollouts/policy/policy-schema.ts';

const COUNT = { sqlite: 5000, mysql: 2500 } as const;
const TIME_LIMIT_MS = 90_000;

const PARAMS: Record<string, string> = {
  projectKey: 'p',
  environmentKey: 'dev',
  flagKey: 'f',
  segmentKey: 's',
  changeRequestId: '1',
  keyId: '2',
  rolloutId: '1',
  scheduleId: '1',
  metricKey: 'm',
};
const SEEDS: Record<string, unknown> = {
  'post /api/v1/projects/:projectKey/metrics': {
    key: 'nm',
    name: 'M',
    kind: 'ratio',
    better: 'higher',
    numerator: 'sum(c{v="{{variant}}"})',
    denominator: 'sum(e{v="{{variant}}"})',
    flags: ['f'],
  },
  'put /api/v1/projects/:projectKey/metrics/:metricKey': {
    name: 'M2',
    kind: 'quantile',
    better: 'lower',
    query: 'q{v="{{variant}}"}[{{window}}]',
    unit: 'ms',
    version: 1,
  },
  'post /api/v1/projects': { key: 'np', name: 'N', description: 'd' },
  'put /api/v1/projects/:projectKey': { name: 'P', description: 'd', version: 1 },
  'post /api/v1/projects/:projectKey/environments': { key: 'ne', name: 'E', requireApproval: false },
  'put /api/v1/projects/:projectKey/environments/:environmentKey': { name: 'Dev', requireApproval: false, version: 1 },
  'post /api/v1/projects/:projectKey/flags': { ...booleanFlag('nf'), description: 'x', tags: ['a'] },
  'put /api/v1/projects/:projectKey/flags/:flagKey': {
    type: 'boolean',
    variants: { on: true, off: false },
    version: 1,
  },
  'post /api/v1/projects/:projectKey/flags/:flagKey/archive': { reason: 'r' },
  'post /api/v1/projects/:projectKey/flags/:flagKey/unarchive': { reason: 'r' },
  'post /api/v1/projects/:projectKey/flags/:flagKey/kill': { environments: ['dev'], reason: 'r' },
  'put /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey': {
    ...onConfig({
      targets: [{ variant: 'off', values: ['u1'] }],
      rules: [
        {
          id: 'r',
          conditions: [
            { attribute: 'plan', op: 'in', values: ['pro'] },
            { attribute: 'x', op: 'inSegment', values: ['s'] },
          ],
          serve: {
            split: [
              { variant: 'on', weight: 50_000 },
              { variant: 'off', weight: 50_000 },
            ],
          },
        },
      ],
    }),
    version: 1,
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey/preview': {
    context: { targetingKey: 'u1', plan: 'pro' },
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/segments': {
    key: 'ns',
    included: ['a'],
    excluded: [],
    rules: [{ conditions: [{ attribute: 'a', op: 'in', values: ['b'] }] }],
  },
  'put /api/v1/projects/:projectKey/environments/:environmentKey/segments/:segmentKey': {
    included: ['a'],
    excluded: ['b'],
    rules: [],
    version: 1,
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/import': {
    format: 'flagship/v1',
    environment: 'p.dev',
    flags: { f: { ...booleanFlag('f'), key: undefined, config: onConfig() } },
    segments: { s: { included: [] } },
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests': {
    flag: 'f',
    config: onConfig(),
    baseVersion: 1,
    comment: 'c',
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/approve': {
    comment: 'ok',
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/reject': {
    comment: 'no',
  },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/change-requests/:changeRequestId/cancel': {
    comment: 'x',
  },
  'post /api/v1/api-keys': { name: 'k', owner: 'fuzz', role: 'viewer', environments: ['p.dev'] },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey/rollouts': {
    policy: 'fuzz',
    treatment: 'on',
    control: 'off',
    reason: 'r',
  },
  'post /api/v1/rollouts/:rolloutId/pause': { version: 1, reason: 'r' },
  'post /api/v1/rollouts/:rolloutId/resume': { reason: 'r' },
  'post /api/v1/rollouts/:rolloutId/approve': { reason: 'r' },
  'post /api/v1/rollouts/:rolloutId/abort': { version: 2, reason: 'r' },
  'post /api/v1/rollouts/:rolloutId/retry': { reason: 'r' },
  'post /api/v1/projects/:projectKey/environments/:environmentKey/flags/:flagKey/schedules': {
    at: new Date(Date.now() + 86_400_000).toISOString(),
    action: 'disable',
    comment: 'c',
  },
  'post /api/v1/schedules/:scheduleId/cancel': { comment: 'x' },
  'post /api/v1/webhooks': { url: 'http://127.0.0.1:9/hook', events: ['rollout.paused'], secret: '0123456789abcdef' },
};

const fuzzPolicy = validatePolicy({
  name: 'fuzz',
  steps: [
    { weight: 10, minDuration: '1m' },
    { weight: 100, minDuration: '1m', approval: true },
  ],
  analysis: { interval: '10s' },
  traffic: { query: 'r{v="{{variant}}"}' },
  metrics: [{ name: 'e', kind: 'threshold', query: 'e{v="{{variant}}"}', max: 1 }],
});

describe.each(DIALECTS)('fuzzing write routes on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    if (!fuzzPolicy.ok) throw new Error('fuzz policy invalid');
    t = await startTestServer(dialect, {
      rollouts: {
        policies: new MapPolicyCatalog(new Map([['fuzz', fuzzPolicy.value]])),
        scheduler: { schedule: async () => {} },
        deliveries: { enqueue: async () => {} },
      },
    });
    await seedProject(t, 'p', [{ key: 'dev' }]);
    await t.request('POST', '/api/v1/projects/p/flags', { body: booleanFlag('f') });
    // Rollout 1, so mutated commands meet a real state machine.
    await t.request('PUT', '/api/v1/projects/p/environments/dev/flags/f', { body: { ...onConfig(), version: 1 } });
    const rollout = await t.request('POST', '/api/v1/projects/p/environments/dev/flags/f/rollouts', {
      body: { policy: 'fuzz', treatment: 'on', control: 'off' },
    });
    if (rollout.status !== 201) throw new Error(`cannot start the fuzz rollout: ${rollout.text}`);
    await t.request('POST', '/api/v1/projects/p/environments/dev/segments', { body: { key: 's' } });
    await t.request('POST', '/api/v1/projects/p/metrics', {
      body: { key: 'm', name: 'M', kind: 'quantile', better: 'lower', query: 'q{v="{{variant}}"}' },
    });
  });
  afterAll(async () => t?.close());

  it('survives seeded random bodies with no 5xx and no partial writes', async () => {
    const routes = t.plane.routes.filter((op) => op.body !== undefined);
    expect(routes.filter((op) => !SEEDS[`${op.method} ${op.path}`]).map((op) => op.path)).toEqual([]);
    const r = prng(dialect === 'sqlite' ? 20_251_122 : 7);
    const started = Date.now();
    const auditBefore = await t.plane.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    let checksum = await databaseChecksum(t.plane.db);
    let fingerprint = await databaseFingerprint(t.plane.db);
    let windowClean = true;
    let cleanWindows = 0;
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let sent = 0;
    for (; sent < COUNT[dialect] && Date.now() - started < TIME_LIMIT_MS; sent++) {
      const op = routes[sent % routes.length]!;
      const seed = SEEDS[`${op.method} ${op.path}`];
      const path = op.path.replace(/:([A-Za-z]+)/g, (_, n: string) => PARAMS[n]!);
      const dice = r();
      let options: Parameters<TestServer['request']>[2];
      if (dice < 0.05) options = { raw: JUNK_TEXTS[Math.floor(r() * JUNK_TEXTS.length)]! };
      else if (dice < 0.08)
        options = {
          raw: JSON.stringify(seed),
          contentType: r() < 0.5 ? 'text/plain' : 'application/x-www-form-urlencoded',
        };
      else if (dice < 0.15) options = { body: randomValue(r) };
      else {
        let body = seed;
        for (let n = 1 + Math.floor(r() * 3); n > 0; n--) body = mutate(r, body);
        options = { body };
      }
      const reply = await t.request(op.method.toUpperCase(), path, options);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status >= 500)
        failures.push(
          `${op.method} ${path}: ${reply.status} ${reply.text.slice(0, 200)} for ${JSON.stringify(options).slice(0, 300)}`,
        );
      // Every request: a one-query fingerprint. Every 10th: the full byte-for-byte checksum,
      // compared when nothing in the window was accepted.
      const print = await databaseFingerprint(t.plane.db);
      if (reply.status >= 400 && print !== fingerprint)
        failures.push(`${op.method} ${path}: rejected with ${reply.status} but the database changed`);
      fingerprint = print;
      if (reply.status < 400) windowClean = false;
      if (sent % 10 === 9) {
        const full = await databaseChecksum(t.plane.db);
        if (windowClean && full !== checksum)
          failures.push(`requests ${sent - 9}..${sent} were all rejected but the database changed`);
        if (windowClean) cleanWindows++;
        checksum = full;
        windowClean = true;
      }
      if (reply.status >= 400 && !reply.body?.error?.code)
        failures.push(`${op.method} ${path}: ${reply.status} without an error body`);
      if (failures.length > 10) break;
    }
    expect(failures).toEqual([]);
    expect(sent).toBe(COUNT[dialect]);
    expect(cleanWindows).toBeGreaterThan(COUNT[dialect] / 100);
    // Mostly rejections, but some writes got through: the fuzz reached past validation.
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect((await t.request('GET', '/api/v1/projects')).status).toBe(200);
    const auditAfter = await t.plane.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(auditAfter.slice(0, auditBefore.length)).toEqual(auditBefore);
    console.log(
      `fuzz on ${dialect}: ${sent} requests in ${Date.now() - started} ms, ${cleanWindows} all-rejected windows checked byte for byte`,
      Object.fromEntries(statuses),
    );
  }, 120_000);
});

describe('YAML imports against a controller process', () => {
  const supervisor = new Supervisor({ echo: false, keepLines: 60 });
  const dir = mkdtempSync(join(tmpdir(), 'fs-yaml-fuzz-'));
  const token = `yaml-fuzz-admin-token-${Date.now()}-0123456789abcdef`;
  const prefix = `yamlfuzz${process.pid}-${Date.now().toString(36)}`;
  const E = '/api/v1/projects/p/environments/dev';
  const SIZE_LIMIT = 10 * 1024 * 1024;
  const COUNT_YAML = 2_000;
  let controller: SupervisedChild;
  let url: string;
  const send = async (path: string, body: string | Uint8Array | undefined, contentType = 'application/yaml') => {
    const res = await fetch(`${url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  };
  const alive = () => controller.process.exitCode === null && controller.process.signalCode === null;
  const valid = toYaml({
    format: 'flagship/v1',
    environment: 'p.dev',
    flags: {
      f: { type: 'boolean', variants: { on: true, off: false }, tags: ['a'], config: onConfig() },
      g: {
        type: 'string',
        variants: { a: 'x', b: 'y' },
        config: onConfig({ offVariant: 'a', defaultRule: { variant: 'b' } }),
      },
    },
    segments: { s: { included: ['u1'], excluded: [], rules: [] } },
  });

  beforeAll(async () => {
    controller = supervisor.start({
      name: 'controller',
      file: 'controller/src/main.ts',
      cwd: join(import.meta.dirname, '../../..'),
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        DATABASE_URL: undefined,
        ADMIN_TOKEN: token,
        POLICIES_DIR: join(dir, 'no-policies'),
        REDIS_KEY_PREFIX: `${prefix}:`,
        QUEUE_PREFIX: `${prefix}q`,
      },
    });
    url = (await waitForLine(controller, /listening on (http:\/\/[^/\s]+)/, 90_000))[1]!;
    expect((await send('/api/v1/projects', JSON.stringify({ key: 'p' }), 'application/json')).status).toBe(201);
    expect(
      (await send('/api/v1/projects/p/environments', JSON.stringify({ key: 'dev' }), 'application/json')).status,
    ).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await supervisor.stopAll();
    rmSync(dir, { recursive: true, force: true });
    // The controller's BullMQ producers leave queue keys under the prefix.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    try {
      await redis.connect();
      let cursor = '0';
      for (let i = 0; i < 100; i++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    } finally {
      redis.disconnect();
    }
  });

  it('answers deep nesting with 400 TOO_DEEP, again and again, and keeps serving', async () => {
    // Before the bounded reader, the second of these bodies aborted the process (SIGABRT).
    const answers: unknown[] = [];
    for (const body of [
      '['.repeat(100_000),
      '['.repeat(100_000),
      `${'- '.repeat(100_000)}x`,
      `${'- '.repeat(100_000)}x`,
      `${'{a: '.repeat(100_000)}`,
    ]) {
      answers.push(
        await send(`${E}/import?dryRun=true`, body).then(
          (r) => [r.status, r.json?.error?.code],
          (error) => String(error),
        ),
      );
    }
    expect({ exit: controller.process.exitCode, signal: controller.process.signalCode }).toEqual({
      exit: null,
      signal: null,
    });
    expect(answers).toEqual(Array(5).fill([400, 'TOO_DEEP']));
    expect((await send('/api/v1/projects', undefined)).status).toBe(200);
  }, 60_000);

  it('answers a billion-laughs body and a custom tag with a 400 naming the problem', async () => {
    const lol =
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' +
      Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ).join('\n');
    const bomb = await send(`${E}/import?dryRun=true`, lol);
    expect([bomb.status, bomb.json?.error?.code]).toEqual([400, 'ALIAS_EXPANSION']);
    expect(bomb.json.error.message).toMatch(/expands to more than 10 MiB/);
    const tagged = await send(
      `${E}/import?dryRun=true`,
      valid.replace('type: boolean', 'type: !!python/object:os.system boolean'),
    );
    expect([tagged.status, tagged.json?.error?.code]).toEqual([400, 'UNSUPPORTED_TAG']);
    expect(tagged.json.error.message).toMatch(
      /line \d+, column \d+: the tag !!python\/object:os.system is not supported/,
    );
    const utf8 = await send(`${E}/import?dryRun=true`, new Uint8Array([...Buffer.from('flags: '), 0xff]));
    expect([utf8.status, utf8.json?.error?.code]).toEqual([400, 'INVALID_UTF8']);
    const ok = await send(`${E}/import?dryRun=true`, valid);
    expect(ok.status, ok.text).toBe(200);
  }, 60_000);

  it('refuses invalid UTF-8 in JSON bodies too, instead of storing replacement characters', async () => {
    const bytes = new Uint8Array([...Buffer.from('{"key":"utf","name":"N'), 0xc3, 0x28, ...Buffer.from('"}')]);
    const r = await send('/api/v1/projects', bytes, 'application/json');
    expect([r.status, r.json?.error?.code]).toEqual([400, 'INVALID_UTF8']);
    expect((await send('/api/v1/projects/utf', undefined)).status).toBe(404);
  }, 60_000);

  it(`survives ${COUNT_YAML} seeded hostile YAML bodies (dry run and real) with no 5xx`, async () => {
    const r = prng(20_261_201);
    const started = Date.now();
    const kinds = new Map<string, Map<number, number>>();
    const failures: string[] = [];
    let sent = 0;
    for (; sent < COUNT_YAML && Date.now() - started < 240_000; sent++) {
      const { kind, body, expect: codes } = hostileYaml(r, valid, SIZE_LIMIT);
      const dryRun = r() < 0.5;
      let reply: Awaited<ReturnType<typeof send>>;
      try {
        reply = await send(
          `${E}/import?dryRun=${dryRun}`,
          body,
          pick(['application/yaml', 'application/x-yaml', 'text/yaml'], sent),
        );
      } catch (error) {
        failures.push(`#${sent} ${kind}: no answer (${String(error)}); process ${alive() ? 'alive' : 'dead'}`);
        break;
      }
      const byStatus = kinds.get(kind) ?? new Map<number, number>();
      byStatus.set(reply.status, (byStatus.get(reply.status) ?? 0) + 1);
      kinds.set(kind, byStatus);
      const preview =
        typeof body === 'string' ? body.slice(0, 120) : Buffer.from(body.subarray(0, 120)).toString('latin1');
      if (reply.status >= 500)
        failures.push(`#${sent} ${kind}: ${reply.status} ${reply.text.slice(0, 200)} for ${JSON.stringify(preview)}`);
      else if (reply.status >= 400 && !(reply.json?.error?.code && reply.json?.error?.message))
        failures.push(`#${sent} ${kind}: ${reply.status} without a JSON error: ${reply.text.slice(0, 200)}`);
      else if (reply.status < 400 && reply.status !== 200)
        failures.push(`#${sent} ${kind}: unexpected ${reply.status}`);
      else if (codes && !codes.includes(reply.json?.error?.code))
        failures.push(`#${sent} ${kind}: ${reply.status} ${reply.text.slice(0, 200)}, expected ${codes.join(' or ')}`);
      // A message that names the problem, not the parser's or the engine's internals.
      else if (/call stack|out of memory|undefined|YAML\.\w+\(/i.test(reply.json?.error?.message ?? ''))
        failures.push(`#${sent} ${kind}: ${reply.text.slice(0, 200)}`);
      if (failures.length > 10) break;
    }
    expect(failures).toEqual([]);
    expect(sent).toBe(COUNT_YAML);
    expect(alive()).toBe(true);
    const summary = Object.fromEntries([...kinds].map(([k, v]) => [k, Object.fromEntries(v)]));
    // Every kind was generated, and the valid documents got through (the fuzz reached the import).
    expect(Object.keys(summary).sort()).toEqual([
      'alias expansion',
      'custom tag',
      'deep block',
      'deep flow',
      'huge scalar',
      'invalid UTF-8',
      'mixed',
      'valid',
    ]);
    expect(summary.valid![200]).toBeGreaterThan(0);
    expect(summary['huge scalar']![413]).toBeGreaterThan(0);
    expect((await send('/api/v1/projects', undefined)).status).toBe(200);
    expect((await send(`${E}/import`, valid)).status).toBe(200);
    console.log(`YAML fuzz: ${sent} bodies in ${Date.now() - started} ms`, JSON.stringify(summary));
  }, 300_000);
});

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
