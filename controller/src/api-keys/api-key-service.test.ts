/** ApiKeyService on the memory stores (held to the kysely stores' contract: test-support/store-contract.ts). */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryUnitOfWork } from '../db/memory-unit-of-work.ts';
import { EnvironmentService } from '../environments/environment-service.ts';
import type { RequestContext } from '../http/request-context.ts';
import { ProjectService } from '../projects/project-service.ts';
import { ApiKeyService, BOOTSTRAP_OWNER } from './api-key-service.ts';
import { admin, NOW, writtenRows } from '../test-support/service-fixtures.ts';

describe('ApiKeyService', () => {
  let uow: MemoryUnitOfWork;
  let keys: ApiKeyService;
  let revoked: string[][];
  const state = () =>
    uow.read(async (s) => ({
      keys: await s.apiKeys.list(),
      ...(await writtenRows(s)),
    }));
  beforeEach(async () => {
    uow = new MemoryUnitOfWork();
    revoked = [];
    keys = new ApiKeyService(uow, () => NOW, { revoked: async (ids) => void revoked.push([...ids]) });
    await new ProjectService(uow, () => NOW).create(admin, { key: 'shop' });
    const environments = new EnvironmentService(uow, () => NOW, undefined, { record: async () => {}, wake: () => {} });
    await environments.create(admin, 'shop', { key: 'dev' });
    await environments.create(admin, 'shop', { key: 'prod' });
  });

  it('create stores the key without its token, audits it, and an sdk key writes an outbox row for its environment', async () => {
    const before = await state();
    const created = await keys.create(admin, {
      name: 'web sdk',
      owner: '  bob  ',
      role: 'sdk',
      environments: ['shop.prod'],
    });
    const { token, ...record } = created;
    expect(record).toEqual({
      id: record.id,
      name: 'web sdk',
      role: 'sdk',
      environments: ['shop.prod'],
      tokenPrefix: token.slice(0, 8),
      owner: 'bob',
      createdAt: NOW,
      createdBy: '1',
      revokedAt: null,
    });
    expect(await keys.get(record.id)).toEqual(record);
    expect(await keys.authenticate(token)).toEqual({
      keyId: record.id,
      name: 'web sdk',
      owner: 'bob',
      role: 'sdk',
      environments: ['shop.prod'],
    });
    expect(await keys.authenticate(`${token}x`)).toBeUndefined();
    const { audit, outbox } = await state();
    expect(audit).toHaveLength(before.audit.length + 1);
    expect(audit[0]).toMatchObject({
      action: 'key.create',
      entityType: 'api-key',
      entityKey: record.id,
      actor: { keyId: '1', owner: 'alice' },
      after: record,
    });
    expect(JSON.stringify(audit[0])).not.toContain(token);
    expect(outbox.slice(before.outbox.length)).toEqual([['shop.prod', 'sdk-key', record.id]]);
  });

  it('create refuses, writing nothing, a blank owner, an sdk key without exactly one environment and unknown environments', async () => {
    const before = await state();
    await expect(
      keys.create(admin, { name: 'k', owner: ' ', role: 'sdk', environments: ['shop.dev', 'shop.nope'] }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'the key cannot be created',
      details: {
        problems: [
          { path: 'owner', message: 'must name the person the key belongs to (a name or an email), not be blank' },
          { path: 'environments', message: 'an sdk key names exactly one environment' },
          { path: 'environments[1]', message: 'unknown environment shop.nope' },
        ],
      },
    });
    expect(await state()).toEqual(before);
  });

  it('a key limited to environments cannot grant access beyond them', async () => {
    const limited: RequestContext = {
      actor: { keyId: '9', name: 'dev admin', owner: 'carol', role: 'admin', environments: ['shop.dev'] },
      requestId: 'req-2',
    };
    await expect(
      keys.create(limited, { name: 'k', owner: 'carol', role: 'viewer', environments: ['shop.dev', 'shop.prod'] }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { problems: [{ path: 'environments[1]', message: 'the creating key may not access shop.prod' }] },
    });
    const ok = await keys.create(limited, { name: 'k', owner: 'carol', role: 'viewer', environments: ['shop.dev'] });
    expect(ok).toMatchObject({ environments: ['shop.dev'], createdBy: '9' });
  });

  it('the last admin key without an environment list cannot be revoked; another one can, once, and is forgotten', async () => {
    const { createdToken } = await keys.ensureAdmin(undefined);
    expect(createdToken).toBeDefined();
    expect(await keys.ensureAdmin(undefined)).toEqual({});
    const [first] = await keys.list();
    expect(first).toMatchObject({ name: 'first admin', owner: BOOTSTRAP_OWNER, role: 'admin', environments: null });

    const scoped = await keys.create(admin, { name: 'dev', owner: 'bob', role: 'admin', environments: ['shop.dev'] });
    await expect(keys.revoke(admin, first!.id)).rejects.toMatchObject({
      code: 'LAST_ADMIN',
      message: 'revoking the last admin key without an environment list would lock everyone out',
    });
    expect(revoked).toEqual([]);

    const second = await keys.create(admin, { name: 'second', owner: 'bob', role: 'admin' });
    const after = await keys.revoke(admin, first!.id);
    expect(after).toMatchObject({ id: first!.id, revokedAt: NOW });
    expect(revoked).toEqual([[first!.id]]);
    expect(await keys.authenticate(createdToken!)).toBeUndefined();
    expect((await state()).audit[0]).toMatchObject({
      action: 'key.revoke',
      entityKey: first!.id,
      before: { revokedAt: null },
      after: { revokedAt: NOW },
    });
    await expect(keys.revoke(admin, first!.id)).rejects.toMatchObject({
      code: 'ALREADY_REVOKED',
      message: `api key ${first!.id} is already revoked`,
    });
    await expect(keys.revoke(admin, second.id)).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    expect(await keys.revoke(admin, scoped.id)).toMatchObject({ revokedAt: NOW });
  });

  it('revoking an sdk key writes an outbox row for its environment', async () => {
    const sdk = await keys.create(admin, { name: 'sdk', owner: 'bob', role: 'sdk', environments: ['shop.dev'] });
    await keys.revoke(admin, sdk.id);
    expect((await state()).outbox.slice(-2)).toEqual([
      ['shop.dev', 'sdk-key', sdk.id],
      ['shop.dev', 'sdk-key', sdk.id],
    ]);
    await expect(keys.revoke(admin, '999')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'api key 999 not found',
    });
  });
});
