/** SegmentService on the memory stores (held to the kysely stores' contract: test-support/store-contract.ts). */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryUnitOfWork } from '../db/memory-unit-of-work.ts';
import { FlagService } from '../flags/flag-service.ts';
import type { RequestContext } from '../http/request-context.ts';
import { SegmentService } from './segment-service.ts';
import { admin, insertShop, NOW, writtenRows } from '../test-support/service-fixtures.ts';

const beta = { key: 'beta', included: ['u1', 'u2'] };

describe('SegmentService', () => {
  let uow: MemoryUnitOfWork;
  let segments: SegmentService;
  let flags: FlagService;
  const state = () =>
    uow.read(async (s) => ({
      segments: [...(await s.segments.list('shop.dev')), ...(await s.segments.list('shop.prod'))],
      ...(await writtenRows(s)),
    }));
  beforeEach(async () => {
    uow = new MemoryUnitOfWork();
    segments = new SegmentService(uow, () => NOW);
    flags = new FlagService(uow, () => NOW);
    await uow.write(insertShop);
  });

  it('create stores version 1 with its audit row and a segment outbox row', async () => {
    const r = await segments.create(admin, 'shop', 'dev', beta);
    expect(r).toEqual({
      environmentId: 'shop.dev',
      segment: { key: 'beta', version: 1, included: ['u1', 'u2'], excluded: [], rules: [] },
      createdAt: NOW,
      updatedAt: NOW,
    });
    const { segments: stored, audit, outbox } = await state();
    expect(stored).toEqual([r]);
    expect(audit).toMatchObject([
      {
        action: 'create',
        entityType: 'segment',
        entityKey: 'beta',
        environmentId: 'shop.dev',
        after: r.segment,
        requestId: 'req-1',
      },
    ]);
    expect(outbox).toEqual([['shop.dev', 'segment', 'beta']]);
  });

  it('a duplicate key is refused and writes nothing', async () => {
    await segments.create(admin, 'shop', 'dev', beta);
    const before = await state();
    await expect(segments.create(admin, 'shop', 'dev', { key: 'beta' })).rejects.toMatchObject({
      code: 'DUPLICATE_KEY',
      message: 'segment beta already exists in shop.dev',
    });
    expect(await state()).toEqual(before);
  });

  it('update bumps the version; a stale version is refused with the current one and writes nothing', async () => {
    await segments.create(admin, 'shop', 'dev', beta);
    const r = await segments.update(admin, 'shop', 'dev', 'beta', 1, { included: ['u3'] });
    expect(r.segment).toEqual({ key: 'beta', version: 2, included: ['u3'], excluded: [], rules: [] });
    const before = await state();
    expect(before.audit[0]).toMatchObject({
      action: 'update',
      before: { version: 1, included: ['u1', 'u2'] },
      after: { version: 2, included: ['u3'] },
    });
    expect(before.outbox).toEqual([
      ['shop.dev', 'segment', 'beta'],
      ['shop.dev', 'segment', 'beta'],
    ]);
    await expect(segments.update(admin, 'shop', 'dev', 'beta', 1, { included: ['late'] })).rejects.toMatchObject({
      code: 'STALE_VERSION',
      details: { currentVersion: 2 },
      message: 'segment beta is at version 2: reload and reapply your change',
    });
    expect(await state()).toEqual(before);
  });

  it('delete is refused while a flag config uses the segment, and allowed once none does', async () => {
    await segments.create(admin, 'shop', 'dev', beta);
    await flags.create(admin, 'shop', { key: 'new-checkout', type: 'boolean', variants: { off: false, on: true } });
    const uses = {
      enabled: true,
      offVariant: 'off',
      prerequisites: [],
      targets: [],
      defaultRule: { variant: 'off' },
      rules: [{ conditions: [{ attribute: 'key', op: 'inSegment', values: ['beta'] }], serve: { variant: 'on' } }],
    };
    await flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 1, uses);
    await expect(segments.delete(admin, 'shop', 'dev', 'beta')).rejects.toMatchObject({
      code: 'SEGMENT_IN_USE',
      message: 'segment beta is used by flags: new-checkout',
    });
    expect(await segments.get('shop', 'dev', 'beta')).toMatchObject({ segment: { version: 1 } });
    await flags.putConfig(admin, 'shop', 'dev', 'new-checkout', 2, { ...uses, rules: [] });
    await segments.delete(admin, 'shop', 'dev', 'beta');
    expect(await segments.list('shop', 'dev')).toEqual([]);
    const { audit, outbox } = await state();
    expect(audit[0]).toMatchObject({
      action: 'delete',
      entityType: 'segment',
      before: { key: 'beta', version: 1 },
      after: null,
    });
    expect(outbox.at(-1)).toEqual(['shop.dev', 'segment', 'beta']);
    await expect(segments.get('shop', 'dev', 'beta')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'segment beta in shop.dev not found',
    });
  });

  it('an approval-required environment needs a change request; a key outside the environment is refused', async () => {
    await expect(segments.create(admin, 'shop', 'prod', beta)).rejects.toMatchObject({
      code: 'APPROVAL_REQUIRED',
      details: { environments: ['shop.prod'], changeRequest: { kind: 'segment' } },
    });
    const devOnly: RequestContext = {
      actor: { ...admin.actor, role: 'editor', environments: ['shop.dev'] },
      requestId: 'req-2',
    };
    await expect(segments.create(devOnly, 'shop', 'prod', beta)).rejects.toMatchObject({
      code: 'ENVIRONMENT_FORBIDDEN',
    });
    expect(await segments.create(devOnly, 'shop', 'dev', beta)).toMatchObject({ segment: { version: 1 } });
    expect((await state()).segments.map((r) => r.environmentId)).toEqual(['shop.dev']);
  });
});
