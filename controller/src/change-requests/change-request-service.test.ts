/** ChangeRequestService on the memory stores (held to the kysely stores' contract: test-support/store-contract.ts). */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryUnitOfWork } from '../db/memory-unit-of-work.ts';
import { EnvironmentService } from '../environments/environment-service.ts';
import { FlagService } from '../flags/flag-service.ts';
import type { RequestContext } from '../http/request-context.ts';
import { ProjectService } from '../projects/project-service.ts';
import { ChangeRequestService } from './change-request-service.ts';
import { checkout, checkoutOn, NOW, writtenRows } from '../test-support/service-fixtures.ts';

const ctx = (keyId: string, owner: string, role: 'admin' | 'editor' | 'viewer' = 'admin'): RequestContext => ({
  actor: { keyId, name: `${owner}'s key`, owner, role, environments: null },
  requestId: `req-${keyId}`,
});
const alice = ctx('1', 'alice');
const alicesOtherKey = ctx('2', 'alice');
const bob = ctx('3', 'bob');

describe('ChangeRequestService', () => {
  let uow: MemoryUnitOfWork;
  let requests: ChangeRequestService;
  const state = () =>
    uow.read(async (s) => ({
      config: await s.configs.get('shop.prod', 'new-checkout'),
      requests: await s.changeRequests.list('shop.prod'),
      ...(await writtenRows(s)),
    }));
  const fileConfig = (who: RequestContext, baseVersion = 1) =>
    requests.create(who, 'shop', 'prod', { kind: 'config', flag: 'new-checkout', config: checkoutOn, baseVersion });
  beforeEach(async () => {
    uow = new MemoryUnitOfWork();
    requests = new ChangeRequestService(uow, () => NOW);
    await new ProjectService(uow, () => NOW).create(alice, { key: 'shop' });
    const environments = new EnvironmentService(uow, () => NOW, undefined, { record: async () => {}, wake: () => {} });
    await environments.create(alice, 'shop', { key: 'prod', requireApproval: true });
    await new FlagService(uow, () => NOW).create(alice, 'shop', checkout);
  });

  it('create files a pending request with its audit row and changes nothing else', async () => {
    const before = await state();
    const cr = await fileConfig(alice);
    expect(cr).toMatchObject({
      environmentId: 'shop.prod',
      flagKey: 'new-checkout',
      kind: 'config',
      config: checkoutOn,
      baseVersion: 1,
      status: 'pending',
      author: { keyId: '1', owner: 'alice' },
      reviews: [],
      appliedVersion: null,
    });
    const after = await state();
    expect(after.requests).toEqual([cr]);
    expect(after.config).toEqual(before.config);
    expect(after.outbox).toEqual(before.outbox);
    expect(after.audit[0]).toMatchObject({
      action: 'change-request.create',
      entityType: 'change-request',
      entityKey: cr.id,
      environmentId: 'shop.prod',
      flagKey: 'new-checkout',
    });
  });

  it('create refuses a stale base version and writes nothing', async () => {
    const before = await state();
    await expect(fileConfig(alice, 5)).rejects.toMatchObject({
      code: 'STALE_VERSION',
      message: 'the config is at version 1, not 5',
      details: { currentVersion: 1 },
    });
    expect(await state()).toEqual(before);
  });

  it('approval by any key of the author is refused; by someone else it applies the change in the same transaction', async () => {
    const cr = await fileConfig(alice);
    const filed = await state();
    await expect(requests.approve(alicesOtherKey, 'shop', 'prod', cr.id, 'lgtm')).rejects.toMatchObject({
      code: 'SELF_APPROVAL',
      message: `change request ${cr.id} was filed by alice: someone else must approve it (any key of the same owner is refused)`,
    });
    expect(await state()).toEqual(filed);

    const approved = await requests.approve(bob, 'shop', 'prod', cr.id, 'lgtm');
    expect(approved).toMatchObject({
      status: 'applied',
      appliedVersion: 2,
      reviews: [{ keyId: '3', owner: 'bob', decision: 'approve', comment: 'lgtm', at: NOW }],
    });
    const { config, requests: stored, audit, outbox } = await state();
    expect(config).toMatchObject({ version: 2, config: checkoutOn });
    expect(stored).toEqual([approved]);
    expect(audit.slice(0, 2)).toMatchObject([
      { action: 'approve', entityKey: cr.id, actor: { owner: 'bob' }, after: { status: 'applied', appliedVersion: 2 } },
      { action: 'apply', entityKey: 'new-checkout', environmentId: 'shop.prod', actor: { owner: 'bob' } },
    ]);
    expect(outbox.slice(filed.outbox.length)).toEqual([['shop.prod', 'flag-config', 'new-checkout']]);
    await expect(requests.approve(bob, 'shop', 'prod', cr.id, 'again')).rejects.toMatchObject({
      code: 'NOT_PENDING',
      message: `change request ${cr.id} is already applied`,
    });
  });

  it('approval is refused when the config moved since filing, and the request stays pending', async () => {
    const first = await fileConfig(alice);
    const second = await fileConfig(alice);
    await requests.approve(bob, 'shop', 'prod', first.id, 'ok');
    const before = await state();
    await expect(requests.approve(bob, 'shop', 'prod', second.id, 'ok')).rejects.toMatchObject({
      code: 'BASE_MOVED',
      message: 'the config moved from version 1 to 2 since the request was filed',
      details: { currentVersion: 2 },
    });
    expect(await state()).toEqual(before);
    expect(await requests.get('shop', 'prod', second.id)).toMatchObject({ status: 'pending' });
  });

  it('only the author or an admin cancels', async () => {
    const cr = await fileConfig(alice);
    await expect(requests.cancel(ctx('4', 'dave', 'editor'), 'shop', 'prod', cr.id, 'no')).rejects.toMatchObject({
      code: 'NOT_AUTHOR',
      message: 'only the author or an admin can cancel a change request',
    });
    const cancelled = await requests.cancel(alicesOtherKey, 'shop', 'prod', cr.id, 'withdrawn');
    expect(cancelled).toMatchObject({ status: 'cancelled', reviews: [{ owner: 'alice', decision: 'cancel' }] });
    expect((await state()).audit[0]).toMatchObject({
      action: 'cancel',
      entityKey: cr.id,
      before: { status: 'pending' },
      after: { status: 'cancelled' },
      reason: 'withdrawn',
    });
  });
});
