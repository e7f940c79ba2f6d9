/** EnvironmentService on the memory stores (held to the kysely stores' contract: test-support/store-contract.ts). */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryUnitOfWork } from '../db/memory-unit-of-work.ts';
import { FlagService } from '../flags/flag-service.ts';
import { ProjectService } from '../projects/project-service.ts';
import { EnvironmentService } from './environment-service.ts';
import { admin, checkout, NOW, writtenRows } from '../test-support/service-fixtures.ts';

describe('EnvironmentService', () => {
  let uow: MemoryUnitOfWork;
  let environments: EnvironmentService;
  let revoked: string[][];
  let wakes: number;
  const state = () =>
    uow.read(async (s) => ({
      configs: await s.configs.listByFlag('shop', 'new-checkout'),
      ...(await writtenRows(s)),
    }));
  beforeEach(async () => {
    uow = new MemoryUnitOfWork();
    revoked = [];
    wakes = 0;
    environments = new EnvironmentService(
      uow,
      () => NOW,
      { revoked: async (ids) => void revoked.push([...ids]) },
      { record: async () => {}, wake: () => void wakes++ },
    );
    await new ProjectService(uow, () => NOW).create(admin, { key: 'shop' });
    await environments.create(admin, 'shop', { key: 'dev' });
    await new FlagService(uow, () => NOW).create(admin, 'shop', checkout);
  });

  it('create writes the environment, an off config per flag of the project, its audit row and an outbox row', async () => {
    const before = await state();
    const env = await environments.create(admin, 'shop', { key: 'prod', name: 'Production', requireApproval: true });
    expect(env).toEqual({
      id: 'shop.prod',
      projectKey: 'shop',
      key: 'prod',
      name: 'Production',
      requireApproval: true,
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
      allowedOrigins: [],
    });
    const { configs, audit, outbox } = await state();
    expect(configs.map((c) => [c.environmentId, c.version, c.config.enabled, c.config.offVariant])).toEqual([
      ['shop.dev', 1, false, 'off'],
      ['shop.prod', 1, false, 'off'],
    ]);
    expect(audit).toHaveLength(before.audit.length + 1);
    expect(audit[0]).toMatchObject({
      action: 'create',
      entityType: 'environment',
      entityKey: 'shop.prod',
      projectKey: 'shop',
      environmentId: 'shop.prod',
      actor: { keyId: '1', owner: 'alice' },
      requestId: 'req-1',
      after: env,
    });
    expect(outbox.slice(before.outbox.length)).toEqual([['shop.prod', 'environment', null]]);
  });

  it('a duplicate key is refused and writes nothing; an unknown project is not found', async () => {
    const before = await state();
    await expect(environments.create(admin, 'shop', { key: 'dev', name: 'Other' })).rejects.toMatchObject({
      code: 'DUPLICATE_KEY',
      message: 'environment dev already exists in project shop',
    });
    await expect(environments.create(admin, 'blog', { key: 'dev' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'project blog not found',
    });
    expect(await state()).toEqual(before);
    expect(await environments.get('shop', 'dev')).toMatchObject({ name: 'dev', version: 1 });
  });

  it('update names the version it read: a stale one is refused with the current version', async () => {
    const updated = await environments.update(admin, 'shop', 'dev', 1, { requireApproval: true });
    expect(updated).toMatchObject({ id: 'shop.dev', name: 'dev', requireApproval: true, version: 2 });
    const before = await state();
    await expect(environments.update(admin, 'shop', 'dev', 1, { name: 'late' })).rejects.toMatchObject({
      code: 'STALE_VERSION',
      details: { currentVersion: 2 },
      message: 'environment shop.dev is at version 2: reload and reapply your change',
    });
    expect(await state()).toEqual(before);
    expect(await environments.get('shop', 'dev')).toEqual(updated);
    expect(before.audit[0]).toMatchObject({
      action: 'update',
      entityKey: 'shop.dev',
      before: { version: 1, requireApproval: false },
      after: { version: 2, requireApproval: true },
    });
  });

  it('delete revokes the keys limited to it alone, narrows the keys listing others, and tells the revocations', async () => {
    await environments.create(admin, 'shop', { key: 'prod' });
    const ids = await uow.write(async (s) => {
      const key = (name: string, role: 'admin' | 'sdk' | 'viewer', envs: string[] | null) =>
        s.apiKeys.insert(
          { name, role, environments: envs, tokenPrefix: name, owner: 'bob', createdAt: NOW, createdBy: '1' },
          `hash-${name}`,
        );
      return {
        sdk: await key('sdk-dev', 'sdk', ['shop.dev']),
        both: await key('both', 'viewer', ['shop.dev', 'shop.prod']),
        prod: await key('prod-only', 'viewer', ['shop.prod']),
        all: await key('everything', 'admin', null),
      };
    });
    await environments.delete(admin, 'shop', 'dev');

    const keys = await uow.read((s) => s.apiKeys.list());
    const byId = new Map(keys.map((k) => [k.id, k]));
    expect(byId.get(ids.sdk)).toMatchObject({ revokedAt: NOW, environments: ['shop.dev'] });
    expect(byId.get(ids.both)).toMatchObject({ revokedAt: null, environments: ['shop.prod'] });
    expect(byId.get(ids.prod)).toMatchObject({ revokedAt: null, environments: ['shop.prod'] });
    expect(byId.get(ids.all)).toMatchObject({ revokedAt: null, environments: null });
    expect(revoked).toEqual([[ids.sdk, ids.both]]);
    expect(wakes).toBe(0); // no rollout was aborted

    const { configs, audit, outbox } = await state();
    expect(configs.map((c) => c.environmentId)).toEqual(['shop.prod']);
    expect(audit.slice(0, 3).map((e) => [e.action, e.entityKey, e.reason ?? null])).toEqual([
      ['delete', 'shop.dev', null],
      ['key.update', ids.both, 'environment deleted'],
      ['key.revoke', ids.sdk, 'environment deleted'],
    ]);
    expect(audit[1]).toMatchObject({
      before: { environments: ['shop.dev', 'shop.prod'] },
      after: { environments: ['shop.prod'] },
    });
    expect(outbox.at(-1)).toEqual(['shop.dev', 'environment', null]);
    await expect(environments.get('shop', 'dev')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'environment dev of project shop not found',
    });
  });
});
