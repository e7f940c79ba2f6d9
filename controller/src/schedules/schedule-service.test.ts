/**
 * ScheduleService on the memory stores (held to the kysely stores' contract), with a clock the
 * test moves and a trigger that records what was armed: the transitions and the rows each one
 * writes. The real BullMQ trigger, the workers and both databases are in
 * workers/src/schedules/schedules.int.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryUnitOfWork } from '../db/memory-unit-of-work.ts';
import { ChangeRequestService } from '../change-requests/change-request-service.ts';
import { EnvironmentService } from '../environments/environment-service.ts';
import { FlagService } from '../flags/flag-service.ts';
import type { RequestContext } from '../http/request-context.ts';
import { ProjectService } from '../projects/project-service.ts';
import { MapPolicyCatalog } from '../rollouts/policy-catalog.ts';
import type { RolloutService } from '../rollouts/rollout-service.ts';
import { checkout, checkoutOn } from '../test-support/service-fixtures.ts';
import type { Stores } from '../db/stores.ts';
import { ScheduleService } from './schedule-service.ts';

const ctx = (keyId: string, owner: string): RequestContext => ({
  actor: { keyId, name: `${owner}'s key`, owner, role: 'admin', environments: null },
  requestId: `req-${keyId}`,
});
const alice = ctx('1', 'alice');
const bob = ctx('2', 'bob');
const T0 = Date.parse('2026-03-01T10:00:00.000Z');

describe('ScheduleService', () => {
  let uow: MemoryUnitOfWork;
  let nowMs: number;
  let schedules: ScheduleService;
  let requests: ChangeRequestService;
  const armed: Array<[number, number]> = [];
  const disarmed: number[] = [];
  const hooks: Array<[string, Record<string, unknown>]> = [];
  const at = (ms: number) => new Date(T0 + ms).toISOString();
  const rows = (env: string) =>
    uow.read(async (s: Stores) => ({
      config: await s.configs.get(env, 'new-checkout'),
      audit: (await s.audit.query({ limit: 100 })).map((a) => [a.action, a.actor.keyId, a.actor.owner]),
      outbox: (await s.outbox.list(100)).length,
    }));

  beforeEach(async () => {
    uow = new MemoryUnitOfWork();
    nowMs = T0;
    armed.length = 0;
    disarmed.length = 0;
    hooks.length = 0;
    const now = () => new Date(nowMs).toISOString();
    await new ProjectService(uow, now).create(alice, { key: 'shop' });
    const environments = new EnvironmentService(uow, now, undefined, { record: async () => {}, wake: () => {} });
    await environments.create(alice, 'shop', { key: 'dev' });
    await environments.create(alice, 'shop', { key: 'prod', requireApproval: true });
    await new FlagService(uow, now).create(alice, 'shop', checkout);
    schedules = new ScheduleService(
      uow,
      new MapPolicyCatalog(new Map()),
      {
        arm: async (id, atMs) => void armed.push([id, atMs]),
        disarm: async (id) => void disarmed.push(id),
      },
      { record: async (_s, event, payload) => void hooks.push([event, payload]), wake: () => {} },
      () => ({}) as RolloutService,
      () => nowMs,
      () => {},
    );
    requests = new ChangeRequestService(uow, now);
  });

  it('applies once at `at`: config, audit rows as the scheduler for the author, outbox, webhook', async () => {
    const s = await schedules.create(alice, 'shop', 'dev', 'new-checkout', { at: at(60_000), action: 'enable' });
    expect(s).toMatchObject({ status: 'scheduled', at: at(60_000), version: 1 });
    expect(armed).toEqual([[s.id, T0 + 60_000]]);
    const before = await rows('shop.dev');
    expect(before.config?.config.enabled).toBe(false);
    expect(await schedules.execute(s.id)).toEqual({ result: 'not-due', inMs: 60_000 });
    nowMs = T0 + 60_000;
    const done = await schedules.execute(s.id);
    expect(done).toMatchObject({ result: 'applied', schedule: { status: 'applied', version: 2 } });
    const after = await rows('shop.dev');
    expect(after.config).toMatchObject({ version: before.config!.version + 1, config: { enabled: true } });
    expect(after.outbox).toBe(before.outbox + 1);
    expect(after.audit.slice(0, 2)).toEqual([
      ['schedule.applied', 'scheduler', 'alice'],
      ['schedule.apply', 'scheduler', 'alice'],
    ]);
    expect(hooks).toEqual([['schedule.applied', expect.objectContaining({ schedule: s.id, status: 'applied' })]]);
    // A second run of the job: nothing.
    expect(await schedules.execute(s.id)).toEqual({ result: 'skipped', reason: 'already applied' });
    expect((await rows('shop.dev')).audit).toEqual(after.audit);
    await expect(schedules.cancel(alice, s.id, '')).rejects.toMatchObject({ code: 'SCHEDULE_NOT_PENDING' });
  });

  it('a config moved past baseVersion conflicts: nothing applied, the conflict audited and sent', async () => {
    const base = (await rows('shop.dev')).config!;
    const s = await schedules.create(alice, 'shop', 'dev', 'new-checkout', {
      at: at(1_000),
      config: checkoutOn,
      baseVersion: base.version,
    });
    await new FlagService(uow, () => at(0)).putConfig(bob, 'shop', 'dev', 'new-checkout', base.version, {
      ...checkoutOn,
      enabled: false,
      defaultRule: { variant: 'off' },
    });
    const moved = (await rows('shop.dev')).config!;
    nowMs = T0 + 1_000;
    const r = await schedules.execute(s.id);
    expect(r).toMatchObject({ result: 'conflicted', schedule: { outcome: expect.stringMatching(/^BASE_MOVED/) } });
    expect((await rows('shop.dev')).config).toEqual(moved);
    expect((await rows('shop.dev')).audit[0]).toEqual(['schedule.conflicted', 'scheduler', 'alice']);
    expect(hooks.map((h) => h[0])).toEqual(['schedule.conflicted']);
  });

  it('cancelled before `at` it is never applied; its job is disarmed', async () => {
    const s = await schedules.create(alice, 'shop', 'dev', 'new-checkout', { at: at(1_000), action: 'enable' });
    expect(await schedules.cancel(bob, s.id, 'not yet')).toMatchObject({
      status: 'cancelled',
      outcome: 'cancelled by bob: not yet',
    });
    expect(disarmed).toEqual([s.id]);
    nowMs = T0 + 5_000;
    expect(await schedules.execute(s.id)).toEqual({ result: 'skipped', reason: 'already cancelled' });
    expect((await rows('shop.dev')).config?.config.enabled).toBe(false);
  });

  it('approval-required: a change request; approved by another owner it applies, unapproved it expires', async () => {
    const a = await schedules.create(alice, 'shop', 'prod', 'new-checkout', { at: at(10_000), action: 'enable' });
    const b = await schedules.create(alice, 'shop', 'prod', 'new-checkout', { at: at(20_000), action: 'disable' });
    expect(a).toMatchObject({ status: 'awaiting-approval', changeRequestId: expect.any(String) });
    await expect(requests.approve(alice, 'shop', 'prod', a.changeRequestId!, '')).rejects.toMatchObject({
      code: 'SELF_APPROVAL',
    });
    expect(await requests.approve(bob, 'shop', 'prod', a.changeRequestId!, 'ok')).toMatchObject({
      kind: 'schedule',
      status: 'applied',
    });
    expect(await schedules.get(alice, a.id)).toMatchObject({ status: 'scheduled', approvedBy: { owner: 'bob' } });
    nowMs = T0 + 10_000;
    expect(await schedules.execute(a.id)).toMatchObject({ result: 'applied' });
    nowMs = T0 + 20_000;
    await expect(requests.approve(bob, 'shop', 'prod', b.changeRequestId!, 'late')).rejects.toMatchObject({
      code: 'SCHEDULE_DUE',
    });
    expect(await schedules.execute(b.id)).toMatchObject({ result: 'expired' });
    expect((await rows('shop.prod')).config?.config.enabled).toBe(true);
    expect(await requests.get('shop', 'prod', b.changeRequestId!)).toMatchObject({ status: 'cancelled' });
    expect(hooks.map((h) => h[0])).toEqual(['schedule.applied', 'schedule.expired']);
  });

  it('rejecting the change request cancels the schedule', async () => {
    const s = await schedules.create(alice, 'shop', 'prod', 'new-checkout', { at: at(10_000), action: 'enable' });
    await requests.reject(bob, 'shop', 'prod', s.changeRequestId!, 'no');
    expect(await schedules.get(alice, s.id)).toMatchObject({ status: 'cancelled', outcome: 'rejected by bob' });
  });

  it('lists soonest first with a cursor; scoped keys see their environments only', async () => {
    const late = await schedules.create(alice, 'shop', 'dev', 'new-checkout', { at: at(30_000), action: 'enable' });
    const soon = await schedules.create(alice, 'shop', 'prod', 'new-checkout', { at: at(10_000), action: 'enable' });
    const page = await schedules.list(alice, { limit: 1 });
    expect(page.items.map((r) => r.id)).toEqual([soon.id]);
    expect((await schedules.list(alice, { limit: 5, after: page.last! })).items.map((r) => r.id)).toEqual([late.id]);
    const scoped: RequestContext = { ...bob, actor: { ...bob.actor, environments: ['shop.dev'] } };
    expect((await schedules.list(scoped, { limit: 5 })).items.map((r) => r.id)).toEqual([late.id]);
    await expect(schedules.get(scoped, soon.id)).rejects.toMatchObject({ code: 'ENVIRONMENT_FORBIDDEN' });
    await expect(schedules.cancel(scoped, soon.id, '')).rejects.toMatchObject({ code: 'ENVIRONMENT_FORBIDDEN' });
  });
});
