/**
 * The store contract: what services rely on from every implementation of the stores
 * (conditional updates, duplicate detection, ordering, cursors, filters, append-only audit,
 * outbox rows, rollback). The kysely stores pass it on SQLite and MariaDB (db/stores.int.test.ts),
 * the memory fakes pass the very same tests (db/memory-stores.test.ts), so a service unit test on the
 * fakes says something about the real thing. Test support: only test files import this.
 *
 * The tests run in order on one set of rows; each builds on what the ones before it left.
 */
import type { Flag, FlagConfig } from '@flagship/evaluator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricDefinition } from '../metrics/metric-definition.ts';
import type { Policy } from '../rollouts/policy/policy.ts';
import type { RolloutRecord } from '../rollouts/rollout-record.ts';
import type { ScheduleRecord } from '../schedules/schedule-record.ts';
import type { Stores } from '../db/stores.ts';
import { DuplicateKeyError } from '../db/unique-violation.ts';

/** One implementation under test: its stores, and a unit of work over the same rows. */
export interface StoreContractSubject {
  stores: Stores;
  uow: { write<T>(fn: (stores: Stores) => Promise<T>): Promise<T> };
  /** Brings the schema up to date again (a no-op where there is no schema). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-02T00:00:00.000Z';
const flag = (key: string, tags: string[] = []): Flag => ({
  key,
  type: 'boolean',
  variants: { on: true, off: false },
  salt: '0123456789abcdef0123456789abcdef',
  tags,
});
const config = (enabled: boolean): FlagConfig => ({
  enabled,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'on' },
});
// The store keeps the policy as a JSON document and never reads into it.
const policy = { name: 'linear', steps: [{ weight: 10 }] } as unknown as Policy;
const rollout = (
  environmentId: string,
  flagKey: string,
  status: RolloutRecord['status'],
  nextTickAt: string,
): Omit<RolloutRecord, 'id'> => ({
  projectKey: 'p',
  environmentId,
  flagKey,
  policyName: 'linear',
  policy,
  treatment: 'on',
  control: 'off',
  status,
  stepIndex: 0,
  stepStartedAt: T0,
  weightUnits: 0,
  tickSeq: 1,
  nextTickAt,
  approvedStep: null,
  counters: { failures: {}, consecutiveFailures: {}, consecutiveErrors: {} },
  lastReason: null,
  version: 1,
  createdBy: 'k',
  requestedByOwner: 'o',
  createdAt: T0,
  updatedAt: T0,
});

/** Registers the contract's tests for one implementation, opened once for the whole suite. */
export function storeContract(label: string, open: () => Promise<StoreContractSubject>): void {
  describe(`store contract on ${label}`, () => {
    let t: StoreContractSubject;
    let s: Stores;
    beforeAll(async () => {
      t = await open();
      s = t.stores;
    });
    afterAll(async () => t?.close());

    it('runs migrations again as a no-op', async () => {
      await t.migrate();
      await t.migrate();
      expect(await s.projects.list()).toEqual([]);
    });

    it('projects: insert, duplicate, conditional update, delete', async () => {
      await s.projects.insert({ key: 'p', name: 'P', description: '', version: 1, createdAt: T0, updatedAt: T0 });
      await expect(
        s.projects.insert({ key: 'p', name: 'P2', description: '', version: 1, createdAt: T0, updatedAt: T0 }),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await s.projects.update('p', 2, { name: 'x', description: 'd' }, T1)).toBe(false);
      expect(await s.projects.update('p', 1, { name: 'x', description: 'd' }, T1)).toBe(true);
      expect(await s.projects.update('p', 1, { name: 'y', description: 'd' }, T1)).toBe(false);
      expect(await s.projects.get('p')).toMatchObject({
        key: 'p',
        name: 'x',
        description: 'd',
        version: 2,
        updatedAt: T1,
      });
      await s.projects.insert({ key: 'gone', name: 'G', description: '', version: 1, createdAt: T0, updatedAt: T0 });
      expect(await s.projects.delete('gone')).toBe(true);
      expect(await s.projects.delete('gone')).toBe(false);
      expect((await s.projects.list()).map((p) => p.key)).toEqual(['p']);
    });

    it('environments: unique per project, require_approval round-trips', async () => {
      await s.environments.insert({
        id: 'p.prod',
        projectKey: 'p',
        key: 'prod',
        name: 'Prod',
        requireApproval: true,
        version: 1,
        createdAt: T0,
        updatedAt: T0,
      });
      await s.environments.insert({
        id: 'p.dev',
        projectKey: 'p',
        key: 'dev',
        name: 'Dev',
        requireApproval: false,
        version: 1,
        createdAt: T0,
        updatedAt: T0,
      });
      await expect(
        s.environments.insert({
          id: 'p.dev',
          projectKey: 'p',
          key: 'dev',
          name: 'D',
          requireApproval: false,
          version: 1,
          createdAt: T0,
          updatedAt: T0,
        }),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      expect((await s.environments.listByProject('p')).map((e) => [e.id, e.requireApproval])).toEqual([
        ['p.dev', false],
        ['p.prod', true],
      ]);
      expect(await s.environments.update('p.prod', 1, { name: 'Production', requireApproval: false }, T1)).toBe(true);
      expect(await s.environments.get('p.prod')).toMatchObject({
        name: 'Production',
        requireApproval: false,
        version: 2,
      });
    });

    it('flags: JSON round trip, filters, keyset pagination, conditional update', async () => {
      for (const k of ['a-flag', 'b-flag', 'c-flag', 'd-other']) {
        await s.flags.insert({
          projectKey: 'p',
          key: k,
          definition: flag(k, k.startsWith('b') ? ['beta'] : []),
          archived: k === 'c-flag',
          version: 1,
          createdAt: T0,
          updatedAt: T0,
        });
      }
      await expect(
        s.flags.insert({
          projectKey: 'p',
          key: 'a-flag',
          definition: flag('a-flag'),
          archived: false,
          version: 1,
          createdAt: T0,
          updatedAt: T0,
        }),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
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
      await s.configs.insert({
        environmentId: 'p.dev',
        projectKey: 'p',
        flagKey: 'b-flag',
        config: config(false),
        version: 1,
        updatedAt: T0,
      });
      await s.configs.insert({
        environmentId: 'p.prod',
        projectKey: 'p',
        flagKey: 'b-flag',
        config: config(false),
        version: 1,
        updatedAt: T0,
      });
      await expect(
        s.configs.insert({
          environmentId: 'p.dev',
          projectKey: 'p',
          flagKey: 'b-flag',
          config: config(true),
          version: 1,
          updatedAt: T0,
        }),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await s.configs.update('p.dev', 'b-flag', 1, config(true), T1)).toBe(true);
      expect(await s.configs.update('p.dev', 'b-flag', 1, config(false), T1)).toBe(false);
      expect(await s.configs.get('p.dev', 'b-flag')).toMatchObject({ version: 2, config: config(true) });
      expect(await s.configs.getForUpdate('p.prod', 'b-flag')).toMatchObject({ version: 1 });
      expect((await s.configs.listByFlag('p', 'b-flag')).map((c) => c.environmentId)).toEqual(['p.dev', 'p.prod']);
      expect((await s.configs.listByEnvironment('p.dev')).map((c) => c.flagKey)).toEqual(['b-flag']);
      // One batched read of a page's configs: only the named flags of the project, flag then environment order.
      expect(
        (await s.configs.configsOf('p', ['b-flag', 'a-flag', 'nope'])).map((c) => [
          c.flagKey,
          c.environmentId,
          c.version,
        ]),
      ).toEqual([
        ['b-flag', 'p.dev', 2],
        ['b-flag', 'p.prod', 1],
      ]);
      expect(await s.configs.configsOf('p', [])).toEqual([]);
      expect(await s.configs.configsOf('other', ['b-flag'])).toEqual([]);
    });

    it('flags: q matches the key or the description, case-insensitively', async () => {
      for (const [k, description] of [
        ['q-alpha', 'New Checkout page'],
        ['q-beta', undefined],
        ['q-checkout-x', 'other'],
      ] as const) {
        await s.flags.insert({
          projectKey: 'q',
          key: k,
          definition: { ...flag(k), ...(description ? { description } : {}) },
          archived: false,
          version: 1,
          createdAt: T0,
          updatedAt: T0,
        });
      }
      const keys = async (q: string, after?: string) =>
        (await s.flags.list('q', { limit: 10, q, ...(after ? { after } : {}) })).map((f) => f.key).sort();
      expect(await keys('checkout')).toEqual(['q-alpha', 'q-checkout-x']);
      expect(await keys('CHECKOUT')).toEqual(['q-alpha', 'q-checkout-x']);
      expect(await keys('beta')).toEqual(['q-beta']);
      expect(await keys('page')).toEqual(['q-alpha']);
      expect(await keys('zzz')).toEqual([]);
      expect(await keys('q-', 'q-alpha')).toEqual(['q-beta', 'q-checkout-x']);
    });

    it('segments: versioned, unique per environment', async () => {
      const seg = { key: 'beta', version: 1, included: ['u1'], excluded: [], rules: [] };
      await s.segments.insert({ environmentId: 'p.dev', segment: seg, createdAt: T0, updatedAt: T0 });
      await s.segments.insert({ environmentId: 'p.prod', segment: seg, createdAt: T0, updatedAt: T0 });
      await expect(
        s.segments.insert({ environmentId: 'p.dev', segment: seg, createdAt: T0, updatedAt: T0 }),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await s.segments.update('p.dev', 'beta', 1, { ...seg, included: ['u2'], version: 2 }, T1)).toBe(true);
      expect(await s.segments.update('p.dev', 'beta', 1, { ...seg, version: 2 }, T1)).toBe(false);
      expect((await s.segments.get('p.dev', 'beta'))?.segment).toEqual({ ...seg, included: ['u2'], version: 2 });
      expect(await s.segments.delete('p.prod', 'beta')).toBe(true);
      expect(await s.segments.list('p.prod')).toEqual([]);
    });

    it('api keys: hash lookup, revoke once, sdk hashes per environment', async () => {
      const id = await s.apiKeys.insert(
        {
          name: 'k',
          role: 'admin',
          environments: null,
          tokenPrefix: 'fsk_ab',
          owner: 'o',
          createdAt: T0,
          createdBy: null,
        },
        'h1',
      );
      const sdk = await s.apiKeys.insert(
        {
          name: 's',
          role: 'sdk',
          environments: ['p.dev'],
          tokenPrefix: 'fss_ab',
          owner: 'o',
          createdAt: T0,
          createdBy: id,
        },
        'h2',
      );
      await expect(
        s.apiKeys.insert(
          {
            name: 'x',
            role: 'viewer',
            environments: null,
            tokenPrefix: 'x',
            owner: 'o',
            createdAt: T0,
            createdBy: null,
          },
          'h1',
        ),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
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
      const base = {
        actor: { keyId: '1', name: 'k' },
        entityType: 'flag',
        projectKey: 'p',
        before: null,
        diff: [],
        reason: null,
        requestId: 'r',
      };
      for (let i = 0; i < 5; i++) {
        await s.audit.append({
          ...base,
          at: `2025-01-0${i + 1}T00:00:00.000Z`,
          action: i % 2 ? 'update' : 'create',
          entityKey: `f${i % 2}`,
          environmentId: i < 3 ? 'p.dev' : 'p.prod',
          flagKey: `f${i % 2}`,
          after: { i },
        });
      }
      const all = await s.audit.query({ limit: 10 });
      expect(all.map((e) => (e.after as { i: number }).i)).toEqual([4, 3, 2, 1, 0]);
      expect((await s.audit.query({ limit: 10, flag: 'f1' })).length).toBe(2);
      expect((await s.audit.query({ limit: 10, action: 'create', environment: 'p.dev' })).length).toBe(2);
      expect(
        (await s.audit.query({ limit: 10, from: '2025-01-02T00:00:00.000Z', to: '2025-01-03T00:00:00.000Z' })).length,
      ).toBe(2);
      const page1 = await s.audit.query({ limit: 2 });
      const page2 = await s.audit.query({ limit: 2, before: Number(page1[1]!.id) });
      expect(page2.map((e) => (e.after as { i: number }).i)).toEqual([2, 1]);
      expect('update' in s.audit || 'delete' in s.audit).toBe(false);
    });

    it('outbox: ordered, deletable by the publisher', async () => {
      await s.outbox.append('p.dev', 'flag-config', 'a', T0);
      await s.outbox.append('p.prod', 'kill', 'a', T0);
      const rows = await s.outbox.list(10);
      expect(rows.map((r) => [r.environmentId, r.kind])).toEqual([
        ['p.dev', 'flag-config'],
        ['p.prod', 'kill'],
      ]);
      expect(await s.outbox.delete([rows[0]!.id])).toBe(1);
      expect((await s.outbox.list(10)).length).toBe(1);
    });

    it('change requests: decided once', async () => {
      const id = await s.changeRequests.insert({
        environmentId: 'p.prod',
        projectKey: 'p',
        flagKey: 'b-flag',
        kind: 'config',
        config: config(true),
        payload: null,
        baseVersion: 1,
        comment: 'c',
        status: 'pending',
        author: { keyId: '1', name: 'k', owner: 'k' },
        reviews: [],
        appliedVersion: null,
        createdAt: T0,
        updatedAt: T0,
      });
      expect((await s.changeRequests.list('p.prod', 'pending')).map((c) => c.id)).toEqual([id]);
      const review = { keyId: '2', name: 'a', decision: 'approve' as const, comment: '', at: T1 };
      expect(await s.changeRequests.decide(id, 'applied', [review], 2, T1)).toBe(true);
      expect(await s.changeRequests.decide(id, 'rejected', [], null, T1)).toBe(false);
      expect(await s.changeRequests.get(id)).toMatchObject({
        status: 'applied',
        appliedVersion: 2,
        reviews: [review],
        config: config(true),
      });
    });

    it('unit of work: a throw rolls back every store write; a commit keeps them', async () => {
      const uow = t.uow;
      await expect(
        uow.write(async (st) => {
          await st.projects.insert({
            key: 'rolled',
            name: 'R',
            description: '',
            version: 1,
            createdAt: T0,
            updatedAt: T0,
          });
          await st.outbox.append('p.dev', 'flag', 'x', T0);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await s.projects.get('rolled')).toBeUndefined();
      expect((await s.outbox.list(10)).some((r) => r.entityKey === 'x')).toBe(false);
      await uow.write(async (st) =>
        st.projects.insert({ key: 'kept', name: 'K', description: '', version: 1, createdAt: T0, updatedAt: T0 }),
      );
      expect(await s.projects.get('kept')).toBeDefined();
    });

    // Behaviours the services rely on beyond the ones above (added with the memory fakes).

    it('unit of work: a duplicate key inside a write rolls back what the write did before it', async () => {
      await expect(
        t.uow.write(async (st) => {
          await st.audit.append({
            at: T1,
            actor: { keyId: '1', name: 'k' },
            action: 'create',
            entityType: 'project',
            entityKey: 'kept',
            projectKey: 'kept',
            environmentId: null,
            flagKey: null,
            before: null,
            after: null,
            diff: [],
            reason: null,
            requestId: 'dup',
          });
          await st.projects.insert({
            key: 'kept',
            name: 'again',
            description: '',
            version: 1,
            createdAt: T0,
            updatedAt: T0,
          });
        }),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      expect((await s.audit.query({ limit: 10 })).some((e) => e.requestId === 'dup')).toBe(false);
      expect(await s.projects.get('kept')).toMatchObject({ name: 'K' });
    });

    it('records are copies: changing what a store returned changes nothing stored', async () => {
      const f = (await s.flags.get('p', 'b-flag'))!;
      f.definition.tags!.push('mutated');
      f.archived = true;
      expect(await s.flags.get('p', 'b-flag')).toMatchObject({ archived: false, definition: flag('b-flag', ['beta']) });
      const c = (await s.configs.listByEnvironment('p.dev'))[0]!;
      c.config.enabled = false;
      expect((await s.configs.get('p.dev', 'b-flag'))?.config.enabled).toBe(true);
    });

    it('flags: type filter, listAll with archived flags, update of a missing flag', async () => {
      await s.flags.insert({
        projectKey: 'p',
        key: 'e-string',
        definition: { ...flag('e-string'), type: 'string', variants: { a: 'a', b: 'b' } },
        archived: false,
        version: 1,
        createdAt: T0,
        updatedAt: T0,
      });
      expect((await s.flags.list('p', { limit: 10, type: 'string' })).map((f) => f.key)).toEqual(['e-string']);
      expect((await s.flags.list('p', { limit: 10, archived: 'all', after: 'c-flag' })).map((f) => f.key)).toEqual([
        'd-other',
        'e-string',
      ]);
      expect((await s.flags.listAll('p')).map((f) => [f.key, f.archived])).toEqual([
        ['a-flag', true],
        ['b-flag', false],
        ['c-flag', true],
        ['d-other', false],
        ['e-string', false],
      ]);
      expect(await s.flags.listAll('nope')).toEqual([]);
      expect(await s.flags.update('p', 'missing', 1, { definition: flag('missing'), archived: false }, T1)).toBe(false);
    });

    it('environments, configs, segments, change requests: deleted with their environment', async () => {
      await s.environments.insert({
        id: 'p.tmp',
        projectKey: 'p',
        key: 'tmp',
        name: 'Tmp',
        requireApproval: false,
        version: 1,
        createdAt: T0,
        updatedAt: T0,
      });
      await s.configs.insert({
        environmentId: 'p.tmp',
        projectKey: 'p',
        flagKey: 'a-flag',
        config: config(false),
        version: 1,
        updatedAt: T0,
      });
      await s.configs.insert({
        environmentId: 'p.tmp',
        projectKey: 'p',
        flagKey: 'b-flag',
        config: config(false),
        version: 1,
        updatedAt: T0,
      });
      await s.segments.insert({
        environmentId: 'p.tmp',
        segment: { key: 's', version: 1, included: [], excluded: [], rules: [] },
        createdAt: T0,
        updatedAt: T0,
      });
      await s.changeRequests.insert({
        environmentId: 'p.tmp',
        projectKey: 'p',
        flagKey: 'a-flag',
        kind: 'archive',
        config: null,
        payload: null,
        baseVersion: 2,
        comment: '',
        status: 'pending',
        author: { keyId: '1', name: 'k', owner: 'k' },
        reviews: [],
        appliedVersion: null,
        createdAt: T0,
        updatedAt: T0,
      });
      expect(await s.environments.update('p.tmp', 2, { name: 'x', requireApproval: true }, T1)).toBe(false);
      expect(await s.configs.deleteByEnvironment('p.tmp')).toBe(2);
      expect(await s.segments.deleteByEnvironment('p.tmp')).toBe(1);
      expect(await s.changeRequests.deleteByEnvironment('p.tmp')).toBe(1);
      expect(await s.environments.delete('p.tmp')).toBe(true);
      expect(await s.environments.delete('p.tmp')).toBe(false);
      expect(await s.environments.get('p.tmp')).toBeUndefined();
      expect((await s.configs.listByFlag('p', 'b-flag')).map((c) => c.environmentId)).toEqual(['p.dev', 'p.prod']);
      expect((await s.segments.list('p.dev')).map((r) => r.segment.key)).toEqual(['beta']);
    });

    it('change requests: newest first, status filter, payload replaced on decision', async () => {
      const base = {
        environmentId: 'p.dev',
        projectKey: 'p',
        flagKey: 'b-flag',
        config: null,
        baseVersion: 0,
        comment: '',
        author: { keyId: '1', name: 'k', owner: 'k' },
        reviews: [],
        appliedVersion: null,
        createdAt: T0,
        updatedAt: T0,
      };
      const a = await s.changeRequests.insert({
        ...base,
        kind: 'segment',
        payload: { segment: { action: 'delete', key: 'beta' } },
        status: 'pending',
      });
      const b = await s.changeRequests.insert({ ...base, kind: 'archive', payload: null, status: 'cancelled' });
      expect((await s.changeRequests.list('p.dev')).map((c) => c.id)).toEqual([b, a]);
      expect((await s.changeRequests.list('p.dev', 'pending')).map((c) => c.id)).toEqual([a]);
      expect(await s.changeRequests.get(a)).toMatchObject({
        kind: 'segment',
        config: null,
        payload: { segment: { action: 'delete', key: 'beta' } },
      });
      expect(await s.changeRequests.decide(a, 'applied', [], 3, T1, { rolloutId: 7 })).toBe(true);
      expect(await s.changeRequests.get(a)).toMatchObject({
        status: 'applied',
        payload: { rolloutId: 7 },
        updatedAt: T1,
      });
      expect(await s.changeRequests.get('nope')).toBeUndefined();
      expect(await s.changeRequests.decide('nope', 'applied', [], null, T1)).toBe(false);
    });

    it('api keys: listed by id, environments narrowed only while unrevoked, hashes unique even when revoked', async () => {
      const keys = await s.apiKeys.list();
      expect(keys.map((k) => k.name)).toEqual(['k', 's']);
      const multi = await s.apiKeys.insert(
        {
          name: 'm',
          role: 'sdk',
          environments: ['p.dev', 'p.prod'],
          tokenPrefix: 'fss_cd',
          owner: 'o',
          createdAt: T0,
          createdBy: null,
        },
        'h3',
      );
      expect(await s.apiKeys.activeSdkHashes('p.prod')).toEqual(['h3']);
      expect(await s.apiKeys.setEnvironments(multi, ['p.dev'])).toBe(true);
      expect(await s.apiKeys.activeSdkHashes('p.prod')).toEqual([]);
      expect(await s.apiKeys.get(multi)).toMatchObject({ environments: ['p.dev'], revokedAt: null });
      expect(await s.apiKeys.setEnvironments(keys[1]!.id, ['p.prod'])).toBe(false);
      await expect(
        s.apiKeys.insert(
          {
            name: 'y',
            role: 'viewer',
            environments: null,
            tokenPrefix: 'y',
            owner: 'o',
            createdAt: T0,
            createdBy: null,
          },
          'h2',
        ),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      await s.apiKeys.insert(
        {
          name: 'scoped',
          role: 'admin',
          environments: ['p.dev'],
          tokenPrefix: 'fsk_ef',
          owner: 'o',
          createdAt: T0,
          createdBy: null,
        },
        'h4',
      );
      expect(await s.apiKeys.countActiveAdmins()).toBe(1);
    });

    it('audit: the owner and absent documents round-trip; actor and project filters', async () => {
      await s.audit.append({
        at: '2025-01-09T00:00:00.000Z',
        actor: { keyId: '9', name: 'n', owner: 'alice' },
        action: 'delete',
        entityType: 'segment',
        entityKey: 's',
        projectKey: 'q',
        environmentId: null,
        flagKey: null,
        before: { a: 1 },
        after: undefined,
        diff: [{ path: 'a', old: 1 }],
        reason: 'why',
        requestId: null,
      });
      const [e] = await s.audit.query({ limit: 10, actor: '9' });
      expect(e).toMatchObject({
        actor: { keyId: '9', name: 'n', owner: 'alice' },
        before: { a: 1 },
        after: null,
        diff: [{ path: 'a', old: 1 }],
        reason: 'why',
        requestId: null,
      });
      expect((await s.audit.query({ limit: 10, project: 'q' })).map((x) => x.id)).toEqual([e!.id]);
      expect((await s.audit.query({ limit: 10, project: 'p' }))[0]?.actor).toEqual({ keyId: '1', name: 'k' });
    });

    it('outbox: pending per environment, delete counts what it removed', async () => {
      expect(await s.outbox.hasPending('p.prod')).toBe(true);
      expect(await s.outbox.hasPending('p.dev')).toBe(false);
      await s.outbox.append('p.dev', 'segment', null, T1);
      const rows = await s.outbox.list(10);
      expect(rows.map((r) => [r.environmentId, r.kind, r.entityKey])).toEqual([
        ['p.prod', 'kill', 'a'],
        ['p.dev', 'segment', null],
      ]);
      expect((await s.outbox.list(1)).map((r) => r.kind)).toEqual(['kill']);
      expect(await s.outbox.delete([])).toBe(0);
      expect(
        (await s.outbox.stillPending([rows[1]!.id, rows[0]!.id, rows[1]!.id + 1000])).sort((a, b) => a - b),
      ).toEqual([rows[0]!.id, rows[1]!.id]);
      expect(await s.outbox.stillPending([])).toEqual([]);
      expect(await s.outbox.delete([rows[0]!.id, rows[1]!.id, rows[1]!.id + 1000])).toBe(2);
      expect(await s.outbox.hasPending('p.prod')).toBe(false);
      expect(await s.outbox.stillPending([rows[0]!.id, rows[1]!.id])).toEqual([]);
    });

    it('rollouts: conditional transitions, active lookup, lists, overdue, ticks once, events in order', async () => {
      const r1 = await s.rollouts.insert(rollout('p.dev', 'b-flag', 'completed', '2025-01-01T00:05:00.000Z'));
      const r2 = await s.rollouts.insert(rollout('p.dev', 'b-flag', 'running', '2025-01-01T00:03:00.000Z'));
      const r3 = await s.rollouts.insert(rollout('p.prod', 'b-flag', 'awaiting-approval', '2025-01-01T00:01:00.000Z'));
      expect(r2).toBeGreaterThan(r1);
      expect(await s.rollouts.get(r2)).toMatchObject({
        id: r2,
        policy,
        approvedStep: null,
        lastReason: null,
        counters: { failures: {} },
      });
      expect((await s.rollouts.findActive('p.dev', 'b-flag'))?.id).toBe(r2);
      expect(await s.rollouts.findActive('p.dev', 'a-flag')).toBeUndefined();
      expect(await s.rollouts.update(r2, 1, { weightUnits: 5000, stepIndex: 1, lastReason: 'healthy' })).toBe(true);
      expect(await s.rollouts.update(r2, 1, { weightUnits: 9000 })).toBe(false);
      expect(await s.rollouts.get(r2)).toMatchObject({
        version: 2,
        weightUnits: 5000,
        stepIndex: 1,
        lastReason: 'healthy',
        status: 'running',
        nextTickAt: '2025-01-01T00:03:00.000Z',
      });
      expect((await s.rollouts.list({ limit: 10 })).map((r) => r.id)).toEqual([r3, r2, r1]);
      expect((await s.rollouts.list({ limit: 10, environmentId: 'p.dev', before: r2 })).map((r) => r.id)).toEqual([r1]);
      expect((await s.rollouts.list({ limit: 10, status: 'running' })).map((r) => r.id)).toEqual([r2]);
      expect((await s.rollouts.listByStatus(['running', 'awaiting-approval'], 10)).map((r) => r.id)).toEqual([r2, r3]);
      expect((await s.rollouts.listOverdue('2025-01-01T00:04:00.000Z', 10)).map((r) => r.id)).toEqual([r3, r2]);
      expect((await s.rollouts.listOverdue('2025-01-01T00:02:00.000Z', 10)).map((r) => r.id)).toEqual([r3]);
      const tick = {
        rolloutId: r2,
        seq: 1,
        at: T1,
        stepIndex: 0,
        weightUnits: 0,
        decision: 'advance' as const,
        reason: 'ok',
        evidence: { q: [1] },
        lagMs: 12.6,
      };
      await s.rollouts.insertTick(tick);
      await expect(s.rollouts.insertTick({ ...tick, reason: 'again' })).rejects.toBeInstanceOf(DuplicateKeyError);
      await s.rollouts.insertTick({ ...tick, seq: 2 });
      expect((await s.rollouts.ticks(r2, 10)).map((x) => [x.seq, x.lagMs])).toEqual([
        [2, 13],
        [1, 13],
      ]);
      expect(await s.rollouts.ticks(r2, 1)).toMatchObject([{ seq: 2, evidence: { q: [1] }, reason: 'ok' }]);
      await s.rollouts.appendEvent({
        rolloutId: r2,
        at: T0,
        kind: 'started',
        actor: 'k',
        stepIndex: 0,
        weightUnits: 0,
        reason: null,
      });
      await s.rollouts.appendEvent({
        rolloutId: r2,
        at: T1,
        kind: 'advanced',
        actor: 'c',
        stepIndex: 1,
        weightUnits: 5000,
        reason: 'healthy',
      });
      expect((await s.rollouts.events(r2)).map((e) => e.kind)).toEqual(['started', 'advanced']);
      expect(await s.rollouts.events(r1)).toEqual([]);
    });

    it('webhooks and their outbox: ids, secrets, oldest first, delete counts', async () => {
      const w = await s.webhooks.insert({
        url: 'https://example.test/h',
        secret: 'sealed',
        events: ['rollout.completed'],
        createdBy: 'k',
        createdAt: T0,
      });
      const w2 = await s.webhooks.insert({
        url: 'https://example.test/i',
        secret: 'sealed2',
        events: [],
        createdBy: 'k',
        createdAt: T0,
      });
      await s.webhooks.setSecret(w, 'resealed');
      expect(await s.webhooks.get(w)).toEqual({
        id: w,
        url: 'https://example.test/h',
        secret: 'resealed',
        events: ['rollout.completed'],
        createdBy: 'k',
        createdAt: T0,
      });
      expect((await s.webhooks.list()).map((x) => x.id)).toEqual([w, w2]);
      expect(await s.webhooks.delete(w2)).toBe(true);
      expect(await s.webhooks.delete(w2)).toBe(false);
      await s.webhookOutbox.append({
        id: 'd-2',
        webhookId: w,
        event: 'rollout.completed',
        payload: { n: 2 },
        createdAt: T1,
      });
      await s.webhookOutbox.append({
        id: 'd-1',
        webhookId: w,
        event: 'rollout.completed',
        payload: { n: 1 },
        createdAt: T1,
      });
      await s.webhookOutbox.append({
        id: 'd-0',
        webhookId: w,
        event: 'rollout.started',
        payload: { n: 0 },
        createdAt: T0,
      });
      await expect(
        s.webhookOutbox.append({ id: 'd-0', webhookId: w, event: 'rollout.started', payload: {}, createdAt: T0 }),
      ).rejects.toThrow();
      expect((await s.webhookOutbox.list(10)).map((r) => r.id)).toEqual(['d-0', 'd-1', 'd-2']);
      expect((await s.webhookOutbox.list(1))[0]).toEqual({
        id: 'd-0',
        webhookId: w,
        event: 'rollout.started',
        payload: { n: 0 },
        createdAt: T0,
      });
      expect(await s.webhookOutbox.delete(['d-0', 'd-9'])).toBe(1);
      expect(await s.webhookOutbox.delete([])).toBe(0);
    });

    it('schedules: soonest first, keyset pages, filters, pending by due time, conditional update, JSON round-trips', async () => {
      const row = (at: string, o: Partial<Omit<ScheduleRecord, 'id'>> = {}): Omit<ScheduleRecord, 'id'> => ({
        projectKey: 'p',
        environmentId: 'p.dev',
        flagKey: 'a',
        at,
        comment: 'é ✓ "launch"',
        change: { kind: 'config', config: config(true), baseVersion: 3 },
        status: 'scheduled',
        version: 1,
        author: { keyId: 'k1', name: 'Key', owner: 'alice' },
        changeRequestId: null,
        approvedBy: null,
        outcome: null,
        appliedVersion: null,
        rolloutId: null,
        createdAt: T0,
        updatedAt: T0,
        ...o,
      });
      const late = await s.schedules.insert(row('2030-01-03T00:00:00.000Z'));
      const early = await s.schedules.insert(
        row('2030-01-01T00:00:00.000Z', { change: { kind: 'action', action: 'disable' }, flagKey: 'b' }),
      );
      const tie = await s.schedules.insert(
        row('2030-01-01T00:00:00.000Z', {
          status: 'awaiting-approval',
          changeRequestId: '77',
          environmentId: 'p.prod',
          change: { kind: 'rollout', policy: 'linear', policyDocument: policy, treatment: 'on', control: 'off' },
        }),
      );
      const done = await s.schedules.insert(row('2029-01-01T00:00:00.000Z', { status: 'applied', appliedVersion: 4 }));
      expect(await s.schedules.get(late)).toEqual({ ...row('2030-01-03T00:00:00.000Z'), id: late });
      expect((await s.schedules.get(tie))?.change).toEqual({
        kind: 'rollout',
        policy: 'linear',
        policyDocument: policy,
        treatment: 'on',
        control: 'off',
      });
      expect(await s.schedules.get(99_999)).toBeUndefined();
      const ids = async (q: Parameters<typeof s.schedules.list>[0]) => (await s.schedules.list(q)).map((r) => r.id);
      expect(await ids({ limit: 10 })).toEqual([done, early, tie, late]);
      expect(await ids({ limit: 2 })).toEqual([done, early]);
      expect(await ids({ limit: 2, after: { at: '2030-01-01T00:00:00.000Z', id: early } })).toEqual([tie, late]);
      expect(await ids({ limit: 10, statuses: ['scheduled', 'awaiting-approval'] })).toEqual([early, tie, late]);
      expect(await ids({ limit: 10, environmentId: 'p.prod' })).toEqual([tie]);
      expect(await ids({ limit: 10, flagKey: 'b', projectKey: 'p' })).toEqual([early]);
      expect(await ids({ limit: 10, projectKey: 'q' })).toEqual([]);
      expect((await s.schedules.listPending('2030-01-01T00:00:00.000Z', 10)).map((r) => r.id)).toEqual([early, tie]);
      expect((await s.schedules.listPending(undefined, 10)).map((r) => r.id)).toEqual([early, tie, late]);
      expect((await s.schedules.listPending(undefined, 1)).map((r) => r.id)).toEqual([early]);
      expect((await s.schedules.findByChangeRequest('77'))?.id).toBe(tie);
      expect(await s.schedules.findByChangeRequest('78')).toBeUndefined();
      const approvedBy = { keyId: 'k2', name: 'Other', owner: 'bob' };
      expect(await s.schedules.update(tie, 2, { status: 'scheduled' })).toBe(false);
      expect(await s.schedules.update(tie, 1, { status: 'scheduled', approvedBy, updatedAt: T1 })).toBe(true);
      expect(await s.schedules.update(tie, 1, { status: 'cancelled' })).toBe(false);
      expect(await s.schedules.get(tie)).toMatchObject({ status: 'scheduled', approvedBy, version: 2, updatedAt: T1 });
      expect(
        await s.schedules.update(tie, 2, {
          status: 'applied',
          outcome: 'started rollout 5',
          appliedVersion: 7,
          rolloutId: 5,
        }),
      ).toBe(true);
      expect(await s.schedules.get(tie)).toMatchObject({
        status: 'applied',
        outcome: 'started rollout 5',
        appliedVersion: 7,
        rolloutId: 5,
        approvedBy,
        changeRequestId: '77',
        version: 3,
      });
      expect((await s.schedules.listPending(undefined, 10)).map((r) => r.id)).toEqual([early, late]);
    });

    it('metric definitions: versioned, unique per project, ordered by key, optional fields round-trip', async () => {
      const ratio: MetricDefinition = {
        key: 'conv',
        name: 'Conversions "per" exposure',
        kind: 'ratio',
        better: 'higher',
        numerator: 'sum(increase(conv{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
        denominator: 'sum(increase(exp{variant="{{variant}}"}[{{window}}]))',
        flags: ['f', 'g'],
      };
      const quantile: MetricDefinition = {
        key: 'a-latency',
        name: 'p95',
        kind: 'quantile',
        better: 'lower',
        unit: 'ms',
        description: 'é ✓',
        query: 'histogram_quantile(0.95, x{variant="{{variant}}"})',
      };
      const row = (definition: MetricDefinition, projectKey = 'p') => ({
        projectKey,
        definition,
        version: 1,
        createdAt: T0,
        updatedAt: T0,
      });
      await s.metrics.insert(row(ratio));
      await s.metrics.insert(row(quantile));
      await s.metrics.insert(row(ratio, 'q'));
      await expect(s.metrics.insert(row(ratio))).rejects.toBeInstanceOf(DuplicateKeyError);
      expect((await s.metrics.list('p')).map((r) => r.definition.key)).toEqual(['a-latency', 'conv']);
      expect(await s.metrics.get('p', 'a-latency')).toEqual(row(quantile));
      const renamed = { ...ratio, name: 'Conversion rate', flags: [] };
      expect(await s.metrics.update('p', 'conv', 1, renamed, T1)).toBe(true);
      expect(await s.metrics.update('p', 'conv', 1, ratio, T1)).toBe(false);
      expect(await s.metrics.get('p', 'conv')).toEqual({ ...row(renamed), version: 2, updatedAt: T1 });
      expect((await s.metrics.get('q', 'conv'))?.definition).toEqual(ratio);
      expect(await s.metrics.delete('q', 'conv')).toBe(true);
      expect(await s.metrics.delete('q', 'conv')).toBe(false);
      expect(await s.metrics.list('q')).toEqual([]);
      expect(await s.metrics.get('p', 'nope')).toBeUndefined();
    });
  });
}
