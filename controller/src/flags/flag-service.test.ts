/** FlagService on the memory stores (held to the kysely stores' contract: test-support/store-contract.ts). */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryUnitOfWork } from '../db/memory-unit-of-work.ts';
import { FlagService } from './flag-service.ts';
import { admin, checkout, checkoutOn, insertShop, NOW, writtenRows } from '../test-support/service-fixtures.ts';

describe('FlagService', () => {
  let uow: MemoryUnitOfWork;
  let flags: FlagService;
  const state = () =>
    uow.read(async (s) => ({
      configs: await s.configs.listByFlag('shop', 'new-checkout'),
      ...(await writtenRows(s)),
    }));
  beforeEach(async () => {
    uow = new MemoryUnitOfWork();
    flags = new FlagService(uow, () => NOW);
    await uow.write(insertShop);
  });

  it('create writes the flag, an off config per environment, its audit row and an outbox row per environment', async () => {
    const flag = await flags.create(admin, 'shop', checkout);
    expect(flag).toMatchObject({
      projectKey: 'shop',
      key: 'new-checkout',
      archived: false,
      version: 1,
      definition: checkout,
    });
    const { configs, audit, outbox } = await state();
    expect(configs.map((c) => [c.environmentId, c.version, c.config.enabled, c.config.offVariant])).toEqual([
      ['shop.dev', 1, false, 'off'],
      ['shop.prod', 1, false, 'off'],
    ]);
    expect(audit).toMatchObject([
      {
        action: 'create',
        entityType: 'flag',
        entityKey: 'new-checkout',
        flagKey: 'new-checkout',
        requestId: 'req-1',
        after: { ...checkout, archived: false, version: 1 },
      },
    ]);
    expect(outbox).toEqual([
      ['shop.dev', 'flag', 'new-checkout'],
      ['shop.prod', 'flag', 'new-checkout'],
    ]);
  });

  it('a duplicate key is refused and writes nothing', async () => {
    await flags.create(admin, 'shop', checkout);
    const before = await state();
    await expect(
      flags.create(admin, 'shop', { ...checkout, variants: { a: 'a', b: 'b' }, type: 'string' }),
    ).rejects.toMatchObject({ code: 'DUPLICATE_KEY', message: 'flag new-checkout already exists in project shop' });
    expect(await state()).toEqual(before);
  });

  it('putConfig writes the config at version + 1 with its audit row and a flag-config outbox row', async () => {
    await flags.create(admin, 'shop', checkout);
    const written = await flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 1, checkoutOn);
    expect(written).toMatchObject({ environmentId: 'shop.dev', version: 2, config: checkoutOn, updatedAt: NOW });
    const { configs, audit, outbox } = await state();
    expect(configs[0]).toMatchObject({ version: 2, config: checkoutOn });
    expect(audit[0]).toMatchObject({
      action: 'update',
      entityType: 'flag-config',
      environmentId: 'shop.dev',
      before: { enabled: false, version: 1 },
      after: { enabled: true, version: 2 },
    });
    expect(outbox.at(-1)).toEqual(['shop.dev', 'flag-config', 'new-checkout']);
  });

  it('a stale config version is refused with the current version and writes nothing', async () => {
    await flags.create(admin, 'shop', checkout);
    await flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 1, checkoutOn);
    const before = await state();
    await expect(
      flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 1, { ...checkoutOn, enabled: false }),
    ).rejects.toMatchObject({
      code: 'STALE_VERSION',
      details: { currentVersion: 2 },
      message: 'config of flag new-checkout in shop.dev is at version 2: reload and reapply your change',
    });
    expect(await state()).toEqual(before);
  });

  it('an invalid config is refused with its problems; an approval-required environment needs a change request', async () => {
    await flags.create(admin, 'shop', checkout);
    const before = await state();
    await expect(
      flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 1, { ...checkoutOn, defaultRule: { variant: 'maybe' } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { problems: [expect.objectContaining({ path: 'defaultRule.variant' })] },
    });
    await expect(flags.putConfig(admin, 'shop', 'prod', 'new-checkout', 1, checkoutOn)).rejects.toMatchObject({
      code: 'APPROVAL_REQUIRED',
      details: { environments: ['shop.prod'] },
    });
    expect(await state()).toEqual(before);
  });

  it('kill turns the flag off where it is on, with kill outbox rows and the reason audited; no version needed', async () => {
    await flags.create(admin, 'shop', checkout);
    await flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 1, checkoutOn);
    expect(await flags.kill(admin, 'shop', 'new-checkout', undefined, 'errors spiking')).toEqual([
      { environment: 'shop.dev', killed: true, version: 3 },
      { environment: 'shop.prod', killed: false, version: 1 },
    ]);
    const { configs, audit, outbox } = await state();
    expect(configs.map((c) => c.config.enabled)).toEqual([false, false]);
    expect(audit[0]).toMatchObject({ action: 'kill', reason: 'errors spiking', environmentId: 'shop.dev' });
    expect(outbox.at(-1)).toEqual(['shop.dev', 'kill', 'new-checkout']);
    await expect(flags.kill(admin, 'shop', 'new-checkout', ['staging'], 'x')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { problems: [{ path: 'environments[0]', message: 'no environment staging in project shop' }] },
    });
  });

  it('kill is one transaction: an environment that fails undoes the kills before it', async () => {
    await flags.create(admin, 'shop', checkout);
    await flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 1, checkoutOn);
    // An environment without the flag's config (never the case through the services): the kill
    // turns dev off first, then fails on qa.
    await uow.write((s) =>
      s.environments.insert({
        id: 'shop.qa',
        projectKey: 'shop',
        key: 'qa',
        name: 'qa',
        requireApproval: false,
        version: 1,
        createdAt: NOW,
        updatedAt: NOW,
      }),
    );
    const before = await state();
    await expect(flags.kill(admin, 'shop', 'new-checkout', undefined, 'errors spiking')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'config of flag new-checkout in shop.qa not found',
    });
    expect(await state()).toEqual(before);
    expect(before.configs.find((c) => c.environmentId === 'shop.dev')?.config.enabled).toBe(true);
  });

  it('an archived flag takes no config writes; a stale definition version is refused', async () => {
    await flags.create(admin, 'shop', checkout);
    await uow.write((s) => s.environments.update('shop.prod', 1, { name: 'prod', requireApproval: false }, NOW));
    await expect(
      flags.update(admin, 'shop', 'new-checkout', 2, { variants: checkout.variants, description: 'x' }),
    ).rejects.toMatchObject({ code: 'STALE_VERSION', details: { currentVersion: 1 } });
    expect(await flags.setArchived(admin, 'shop', 'new-checkout', true, 'done')).toMatchObject({
      archived: true,
      version: 2,
    });
    await expect(flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 1, checkoutOn)).rejects.toMatchObject({
      code: 'FLAG_ARCHIVED',
      message: 'flag new-checkout is archived: unarchive it first',
    });
    expect((await flags.list('shop', { limit: 10 })).items).toEqual([]);
    expect((await flags.list('shop', { limit: 10, archived: true })).items.map((f) => f.key)).toEqual(['new-checkout']);
  });
});
