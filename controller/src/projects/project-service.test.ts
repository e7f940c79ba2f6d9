/** ProjectService on the memory stores (held to the kysely stores' contract: test-support/store-contract.ts). */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryUnitOfWork } from '../db/memory-unit-of-work.ts';
import type { RequestContext } from '../http/request-context.ts';
import { ProjectService } from './project-service.ts';
import { admin, NOW } from '../test-support/service-fixtures.ts';

describe('ProjectService', () => {
  let uow: MemoryUnitOfWork;
  let projects: ProjectService;
  const audit = () => uow.read((s) => s.audit.query({ limit: 100 }));
  beforeEach(() => {
    uow = new MemoryUnitOfWork();
    projects = new ProjectService(uow, () => NOW);
  });

  it('create writes the project and its audit row with the actor and request', async () => {
    const p = await projects.create(admin, { key: 'shop', name: 'Shop' });
    expect(p).toEqual({ key: 'shop', name: 'Shop', description: '', version: 1, createdAt: NOW, updatedAt: NOW });
    expect(await uow.read((s) => s.projects.get('shop'))).toEqual(p);
    expect(await audit()).toMatchObject([
      {
        at: NOW,
        action: 'create',
        entityType: 'project',
        entityKey: 'shop',
        projectKey: 'shop',
        actor: { keyId: '1', name: 'admin key', owner: 'alice' },
        requestId: 'req-1',
        before: null,
        after: p,
      },
    ]);
  });

  it('a duplicate key is refused and writes nothing', async () => {
    await projects.create(admin, { key: 'shop' });
    await expect(projects.create(admin, { key: 'shop', name: 'Other' })).rejects.toMatchObject({
      code: 'DUPLICATE_KEY',
      message: 'project shop already exists',
    });
    expect(await uow.read((s) => s.projects.get('shop'))).toMatchObject({ name: 'shop' });
    expect(await audit()).toHaveLength(1);
  });

  it('update names the version it read: a stale one is refused with the current version', async () => {
    await projects.create(admin, { key: 'shop' });
    const updated = await projects.update(admin, 'shop', 1, { description: 'the shop' });
    expect(updated).toMatchObject({ version: 2, description: 'the shop', name: 'shop' });
    await expect(projects.update(admin, 'shop', 1, { name: 'late' })).rejects.toMatchObject({
      code: 'STALE_VERSION',
      details: { currentVersion: 2 },
      message: 'project shop is at version 2: reload and reapply your change',
    });
    expect(await uow.read((s) => s.projects.get('shop'))).toMatchObject({ name: 'shop', version: 2 });
    const [last] = await audit();
    expect(last).toMatchObject({
      action: 'update',
      before: { version: 1, description: '' },
      after: { version: 2, description: 'the shop' },
    });
    expect(last!.diff).toEqual([
      { path: '/description', old: '', new: 'the shop' },
      { path: '/version', old: 1, new: 2 },
    ]);
    expect(await audit()).toHaveLength(2);
  });

  it('delete refuses a project with environments, and deletes an empty one (audited)', async () => {
    await projects.create(admin, { key: 'shop' });
    await uow.write((s) =>
      s.environments.insert({
        id: 'shop.dev',
        projectKey: 'shop',
        key: 'dev',
        name: 'dev',
        requireApproval: false,
        version: 1,
        createdAt: NOW,
        updatedAt: NOW,
      }),
    );
    await expect(projects.delete(admin, 'shop')).rejects.toMatchObject({ code: 'PROJECT_NOT_EMPTY' });
    await uow.write((s) => s.environments.delete('shop.dev'));
    await projects.delete(admin, 'shop');
    expect(await uow.read((s) => s.projects.list())).toEqual([]);
    expect((await audit()).map((e) => e.action)).toEqual(['delete', 'create']);
    await expect(projects.get('shop')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'project shop not found' });
  });

  it('list shows an environment-limited key only the projects of its environments', async () => {
    await projects.create(admin, { key: 'shop' });
    await projects.create(admin, { key: 'blog' });
    const limited: RequestContext = {
      actor: { ...admin.actor, role: 'viewer', environments: ['blog.prod'] },
      requestId: 'req-2',
    };
    expect((await projects.list(limited)).map((p) => p.key)).toEqual(['blog']);
    expect((await projects.list(admin)).map((p) => p.key)).toEqual(['blog', 'shop']);
  });
});
