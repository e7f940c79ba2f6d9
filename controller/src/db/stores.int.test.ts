/**
 * The store contract: the same expectations against MariaDB and SQLite. Services rely on exactly
 * these behaviours (conditional updates, duplicate detection, ordering, filters).
 */
import type { Flag, FlagConfig } from '@flagship/evaluator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../test-support/test-database.ts';
import { createKyselyStores } from './kysely-stores.ts';
import { runMigrations } from './migrations.ts';
import type { Stores } from './stores.ts';
import { DuplicateKeyError } from './unique-violation.ts';
import { UnitOfWork } from './unit-of-work.ts';

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-02T00:00:00.000Z';
const flag = (key: string, tags: string[] = []): Flag => ({
  key, type: 'boolean', variants: { on: true, off: false }, salt: '0123456789abcdef0123456789abcdef', tags,
});
const config = (enabled: boolean): FlagConfig => ({
  enabled, offVariant: 'off', prerequisites: [], targets: [], rules: [], defaultRule: { variant: 'on' },
});

describe.each(DIALECTS)('store contract on %s', (dialect) => {
  let t: TestDatabase;
  let s: Stores;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    s = createKyselyStores(t.db);
  });
  afterAll(async () => t?.drop());

  it('runs migrations again as a no-op', async () => {
    await runMigrations(t.db);
    await runMigrations(t.db);
    expect(await s.projects.list()).toEqual([]);
  });

  it('projects: insert, duplicate, conditional update, delete', async () => {
    await s.projects.insert({ key: 'p', name: 'P', description: '', version: 1, createdAt: T0, updatedAt: T0 });
    await expect(s.projects.insert({ key: 'p', name: 'P2', description: '', version: 1, createdAt: T0, updatedAt: T0 }))
      .rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await s.projects.update('p', 2, { name: 'x', description: 'd' }, T1)).toBe(false);
    expect(await s.projects.update('p', 1, { name: 'x', description: 'd' }, T1)).toBe(true);
    expect(await s.projects.update('p', 1, { name: 'y', description: 'd' }, T1)).toBe(false);
    expect(await s.projects.get('p')).toMatchObject({ key: 'p', name: 'x', description: 'd', version: 2, updatedAt: T1 });
    await s.projects.insert({ key: 'gone', name: 'G', description: '', version: 1, createdAt: T0, updatedAt: T0 });
    expect(await s.projects.delete('gone')).toBe(true);
    expect(await s.projects.delete('gone')).toBe(false);
    expect((await s.projects.list()).map((p) => p.key)).toEqual(['p']);
  });

  it('environments: unique per project, require_approval round-trips', async () => {
    await s.environments.insert({ id: 'p.prod', projectKey: 'p', key: 'prod', name: 'Prod', requireApproval: true, version: 1, createdAt: T0, updatedAt: T0 });
    await s.environments.insert({ id: 'p.dev', projectKey: 'p', key: 'dev', name: 'Dev', requireApproval: false, version: 1, createdAt: T0, updatedAt: T0 });
    await expect(s.environments.insert({ id: 'p.dev', projectKey: 'p', key: 'dev', name: 'D', requireApproval: false, version: 1, createdAt: T0, updatedAt: T0 }))
      .rejects.toBeInstanceOf(DuplicateKeyError);
    expect((await s.environments.listByProject('p')).map((e) => [e.id, e.requireApproval])).toEqual([['p.dev', false], ['p.prod', true]]);
    expect(await s.environments.update('p.prod', 1, { name: 'Production', requireApproval: false }, T1)).toBe(true);
    expect(await s.environments.get('p.prod')).toMatchObject({ name: 'Production', requireApproval: false, version: 2 });
  });

  it('flags: JSON round trip, filters, keyset pagination, conditional update', async () => {
    for (const k of ['a-flag', 'b-flag', 'c-flag', 'd-other']) {
      await s.flags.insert({ projectKey: 'p', key: k, definition: flag(k, k.startsWith('b') ? ['beta'] : []), archived: k === 'c-flag', version: 1, createdAt: T0, updatedAt: T0 });
    }
    await expect(s.flags.insert({ projectKey: 'p', key: 'a-flag', definition: flag('a-flag'), archived: false, version: 1, createdAt: T0, updatedAt: T0 }))
      .rejects.toBeInstanceOf(DuplicateKeyError);
    expect((await s.flags.get('p', 'b-flag'))?.definition).toEqual(flag('b-flag', ['beta']));
    expect((await s.flags.list('p', { limit: 10 })).map((f) => f.key)).toEqual(['a-flag', 'b-flag', 'd-other']);
    expect((await s.flags.list('p', { limit: 10, archived: true })).map((f) => f.key)).toEqual(['c-flag']);
    expect((await s.flags.list('p', { limit: 10, archived: 'all' })).length).toBe(4);
    expect((await s.flags.list('p', { limit: 10, tag: 'beta' })).map((f) => f.key)).toEqual(['b-flag']);
    expect((await s.flags.list('p', { limit: 10, q: 'flag' })).map((f) => f.key)).toEqual(['a-flag', 'b-flag']);
    expect((await s.flags.list('p', { limit: 1, after: 'a-flag' })).map((f) => f.key)).toEqual(['b-flag']);
    expect(await s.flags.countByProject('p')).toBe(4);
    const def = { ...flag('a-flag'), description: 'changed' };
    expect(await s.flags.update('p', 'a-flag', 1, { definition: def, archived: true }, T1)).toBe(true);
    expect(await s.flags.update('p', 'a-flag', 1, { definition: def, archived: false }, T1)).toBe(false);
    expect(await s.flags.get('p', 'a-flag')).toMatchObject({ archived: true, version: 2, definition: def });
  });

  it('configs: one per flag and environment; stale versions never write', async () => {
    await s.configs.insert({ environmentId: 'p.dev', projectKey: 'p', flagKey: 'b-flag', config: config(false), version: 1, updatedAt: T0 });
    await s.configs.insert({ environmentId: 'p.prod', projectKey: 'p', flagKey: 'b-flag', config: config(false), version: 1, updatedAt: T0 });
    await expect(s.configs.insert({ environmentId: 'p.dev', projectKey: 'p', flagKey: 'b-flag', config: config(true), version: 1, updatedAt: T0 }))
      .rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await s.configs.update('p.dev', 'b-flag', 1, config(true), T1)).toBe(true);
    expect(await s.configs.update('p.dev', 'b-flag', 1, config(false), T1)).toBe(false);
    expect(await s.configs.get('p.dev', 'b-flag')).toMatchObject({ version: 2, config: config(true) });
    expect(await s.configs.getForUpdate('p.prod', 'b-flag')).toMatchObject({ version: 1 });
    expect((await s.configs.listByFlag('p', 'b-flag')).map((c) => c.environmentId)).toEqual(['p.dev', 'p.prod']);
    expect((await s.configs.listByEnvironment('p.dev')).map((c) => c.flagKey)).toEqual(['b-flag']);
  });

  it('segments: versioned, unique per environment', async () => {
    const seg = { key: 'beta', version: 1, included: ['u1'], excluded: [], rules: [] };
    await s.segments.insert({ environmentId: 'p.dev', segment: seg, createdAt: T0, updatedAt: T0 });
    await s.segments.insert({ environmentId: 'p.prod', segment: seg, createdAt: T0, updatedAt: T0 });
    await expect(s.segments.insert({ environmentId: 'p.dev', segment: seg, createdAt: T0, updatedAt: T0 })).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await s.segments.update('p.dev', 'beta', 1, { ...seg, included: ['u2'], version: 2 }, T1)).toBe(true);
    expect(await s.segments.update('p.dev', 'beta', 1, { ...seg, version: 2 }, T1)).toBe(false);
    expect((await s.segments.get('p.dev', 'beta'))?.segment).toEqual({ ...seg, included: ['u2'], version: 2 });
    expect(await s.segments.delete('p.prod', 'beta')).toBe(true);
    expect(await s.segments.list('p.prod')).toEqual([]);
  });

  it('api keys: hash lookup, revoke once, sdk hashes per environment', async () => {
    const id = await s.apiKeys.insert({ name: 'k', role: 'admin', environments: null, tokenPrefix: 'fsk_ab', owner: 'o', createdAt: T0, createdBy: null }, 'h1');
    const sdk = await s.apiKeys.insert({ name: 's', role: 'sdk', environments: ['p.dev'], tokenPrefix: 'fss_ab', owner: 'o', createdAt: T0, createdBy: id }, 'h2');
    await expect(s.apiKeys.insert({ name: 'x', role: 'viewer', environments: null, tokenPrefix: 'x', owner: 'o', createdAt: T0, createdBy: null }, 'h1'))
      .rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await s.apiKeys.findActiveByHash('h1')).toMatchObject({ id, role: 'admin', environments: null });
    expect(await s.apiKeys.activeSdkHashes('p.dev')).toEqual(['h2']);
    expect(await s.apiKeys.activeSdkHashes('p.prod')).toEqual([]);
    expect(await s.apiKeys.countActiveAdmins()).toBe(1);
    expect(await s.apiKeys.revoke(sdk, T1)).toBe(true);
    expect(await s.apiKeys.revoke(sdk, T1)).toBe(false);
    expect(await s.apiKeys.revoke('nope', T1)).toBe(false);
    expect(await s.apiKeys.findActiveByHash('h2')).toBeUndefined();
    expect(await s.apiKeys.activeSdkHashes('p.dev')).toEqual([]);
    expect((await s.apiKeys.get(sdk))?.revokedAt).toBe(T1);
  });

  it('audit: filters, time range, newest first with a cursor', async () => {
    const base = { actor: { keyId: '1', name: 'k' }, entityType: 'flag', projectKey: 'p', before: null, diff: [], reason: null, requestId: 'r' };
    for (let i = 0; i < 5; i++) {
      await s.audit.append({ ...base, at: `2025-01-0${i + 1}T00:00:00.000Z`, action: i % 2 ? 'update' : 'create', entityKey: `f${i % 2}`,
        environmentId: i < 3 ? 'p.dev' : 'p.prod', flagKey: `f${i % 2}`, after: { i } });
    }
    const all = await s.audit.query({ limit: 10 });
    expect(all.map((e) => (e.after as { i: number }).i)).toEqual([4, 3, 2, 1, 0]);
    expect((await s.audit.query({ limit: 10, flag: 'f1' })).length).toBe(2);
    expect((await s.audit.query({ limit: 10, action: 'create', environment: 'p.dev' })).length).toBe(2);
    expect((await s.audit.query({ limit: 10, from: '2025-01-02T00:00:00.000Z', to: '2025-01-03T00:00:00.000Z' })).length).toBe(2);
    const page1 = await s.audit.query({ limit: 2 });
    const page2 = await s.audit.query({ limit: 2, before: Number(page1[1]!.id) });
    expect(page2.map((e) => (e.after as { i: number }).i)).toEqual([2, 1]);
    expect('update' in s.audit || 'delete' in s.audit).toBe(false);
  });

  it('outbox: ordered, deletable by the publisher', async () => {
    await s.outbox.append('p.dev', 'flag-config', 'a', T0);
    await s.outbox.append('p.prod', 'kill', 'a', T0);
    const rows = await s.outbox.list(10);
    expect(rows.map((r) => [r.environmentId, r.kind])).toEqual([['p.dev', 'flag-config'], ['p.prod', 'kill']]);
    expect(await s.outbox.delete([rows[0]!.id])).toBe(1);
    expect((await s.outbox.list(10)).length).toBe(1);
  });

  it('change requests: decided once', async () => {
    const id = await s.changeRequests.insert({ environmentId: 'p.prod', projectKey: 'p', flagKey: 'b-flag', kind: 'config', config: config(true), payload: null, baseVersion: 1,
      comment: 'c', status: 'pending', author: { keyId: '1', name: 'k', owner: 'k' }, reviews: [], appliedVersion: null, createdAt: T0, updatedAt: T0 });
    expect((await s.changeRequests.list('p.prod', 'pending')).map((c) => c.id)).toEqual([id]);
    const review = { keyId: '2', name: 'a', decision: 'approve' as const, comment: '', at: T1 };
    expect(await s.changeRequests.decide(id, 'applied', [review], 2, T1)).toBe(true);
    expect(await s.changeRequests.decide(id, 'rejected', [], null, T1)).toBe(false);
    expect(await s.changeRequests.get(id)).toMatchObject({ status: 'applied', appliedVersion: 2, reviews: [review], config: config(true) });
  });

  it('unit of work: a throw rolls back every store write; a commit keeps them', async () => {
    const uow = new UnitOfWork(t.db, createKyselyStores);
    await expect(uow.write(async (st) => {
      await st.projects.insert({ key: 'rolled', name: 'R', description: '', version: 1, createdAt: T0, updatedAt: T0 });
      await st.outbox.append('p.dev', 'flag', 'x', T0);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await s.projects.get('rolled')).toBeUndefined();
    expect((await s.outbox.list(10)).some((r) => r.entityKey === 'x')).toBe(false);
    await uow.write(async (st) => st.projects.insert({ key: 'kept', name: 'K', description: '', version: 1, createdAt: T0, updatedAt: T0 }));
    expect(await s.projects.get('kept')).toBeDefined();
  });
});
