/** The rollout state machine as data: every decision and action a rollout can meet, without a database. */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, StaleVersionError } from '../errors/domain-errors.ts';
import type { Actor } from '../http/request-context.ts';
import { EMPTY_COUNTERS, type AnalysisCounters, type Decision, type TickDecision } from './analysis/decide.ts';
import { validatePolicy } from './policy/policy-schema.ts';
import type { RolloutRecord, RolloutStatus } from './rollout-record.ts';
import {
  actionTransition,
  scheduleOf,
  startedRollout,
  tickTransition,
  waitsUntilServed,
  type HumanAction,
  type Refusal,
  type RolloutTransition,
  type TickFacts,
} from './rollout-transition.ts';

const checked = validatePolicy({
  name: 'gated',
  steps: [
    { weight: 10, minDuration: '1m' },
    { weight: 50, minDuration: '1m', approval: true },
    { weight: 100, minDuration: '1m' },
  ],
  analysis: { interval: '10s', initialDelay: '30s' },
  traffic: { query: 'req{v="{{variant}}"}' },
  metrics: [{ name: 'err', kind: 'threshold', query: 'ratio{v="{{variant}}"}', max: 0.02 }],
});
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
const policy = checked.value;

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const NOW = T0 + 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

const rollout = (o: Partial<RolloutRecord> = {}): RolloutRecord => ({
  id: 7,
  projectKey: 'shop',
  environmentId: 'shop/prod',
  flagKey: 'checkout',
  policyName: 'gated',
  policy,
  treatment: 'on',
  control: 'off',
  status: 'running',
  stepIndex: 0,
  stepStartedAt: iso(T0),
  weightUnits: 10_000,
  tickSeq: 4,
  nextTickAt: iso(NOW),
  approvedStep: null,
  counters: { failures: { err: 1 }, consecutiveFailures: { err: 1 }, consecutiveErrors: { err: 1 } },
  lastReason: null,
  version: 3,
  createdBy: 'alice',
  requestedByOwner: 'alice@example.com',
  createdAt: iso(T0),
  updatedAt: iso(T0),
  ...o,
});

const counters: AnalysisCounters = { failures: { err: 2 }, consecutiveFailures: { err: 2 }, consecutiveErrors: {} };
const decision = (d: Decision, o: Partial<TickDecision> = {}): TickDecision => ({
  decision: d,
  reason: `because ${d}`,
  metrics: [],
  counters,
  srm: undefined,
  traffic: { treatment: { kind: 'value', value: 100 }, control: { kind: 'value', value: 900 } },
  ...o,
});
const served: TickFacts = { now: NOW, flagDisabled: false, unpublished: false };

const bob: Actor = { keyId: 'k-bob', name: 'bob-key', owner: 'bob@example.com', role: 'admin', environments: null };
const act = (kind: HumanAction['kind'], o: Partial<HumanAction> = {}): HumanAction => ({
  kind,
  actor: bob,
  reason: null,
  ...o,
});
/** The transition, failing the test on a refusal. */
const applied = (t: RolloutTransition | Refusal): RolloutTransition => {
  if ('refused' in t) throw new Error(`refused: ${t.refused.message}`);
  return t;
};
const refusal = (t: RolloutTransition | Refusal) => ('refused' in t ? t.refused : undefined);

describe('a tick decision', () => {
  it('advance: the next step at its weight, its clock restarted, the config written, step_completed naming the new step', () => {
    const t = tickTransition(rollout(), decision('advance'), served)!;
    expect(t.tick).toEqual({ decision: 'advance', reason: 'because advance' });
    expect(t.patch).toEqual({
      status: 'running',
      stepIndex: 1,
      weightUnits: 50_000,
      stepStartedAt: iso(NOW),
      tickSeq: 5,
      nextTickAt: iso(NOW + 10_000),
      counters: { ...counters, consecutiveFailures: {} },
      lastReason: 'because advance',
      updatedAt: iso(NOW),
    });
    expect(t.weightChange).toEqual({
      weightUnits: 50_000,
      action: 'rollout.advance',
      reason: 'rollout 7 step 1: because advance',
    });
    expect(t.event).toEqual({ kind: 'advanced', reason: 'because advance' });
    expect(t.notifications).toEqual([
      {
        event: 'rollout.step_completed',
        rollout: { ...rollout(), stepIndex: 1, weightUnits: 50_000 },
        reason: 'because advance',
      },
    ]);
    expect(t.next).toMatchObject({ stepIndex: 1, weightUnits: 50_000, version: 4 });
    expect(t.schedule).toEqual({ rolloutId: 7, tickSeq: 5, atMs: NOW + 10_000 });
  });

  it('complete: completed at 100%, the config written only when it is not at 100% already, no further tick', () => {
    const fromHalf = tickTransition(rollout({ stepIndex: 2, weightUnits: 50_000 }), decision('complete'), served)!;
    expect(fromHalf.patch).toMatchObject({ status: 'completed', weightUnits: 100_000 });
    expect(fromHalf.weightChange).toEqual({
      weightUnits: 100_000,
      action: 'rollout.complete',
      reason: 'rollout 7 step 3: because complete',
    });
    expect(fromHalf.event?.kind).toBe('completed');
    expect(fromHalf.notifications.map((n) => [n.event, n.rollout.status])).toEqual([['rollout.completed', 'running']]);
    expect(fromHalf.schedule).toBeUndefined();
    const atFull = tickTransition(rollout({ stepIndex: 2, weightUnits: 100_000 }), decision('complete'), served)!;
    expect(atFull.weightChange).toBeUndefined();
    expect(atFull.patch.status).toBe('completed');
  });

  it('rollback: everyone on control, rolled-back, notified, no further tick', () => {
    const t = tickTransition(rollout({ stepIndex: 1, weightUnits: 50_000 }), decision('rollback'), served)!;
    expect(t.patch).toMatchObject({ status: 'rolled-back', weightUnits: 0, lastReason: 'because rollback' });
    expect(t.weightChange).toEqual({
      weightUnits: 0,
      action: 'rollout.rollback',
      reason: 'rollout 7 step 2: because rollback',
    });
    expect(t.event).toEqual({ kind: 'rolled-back', reason: 'because rollback' });
    expect(t.notifications.map((n) => n.event)).toEqual(['rollout.rolled_back']);
    expect(t.schedule).toBeUndefined();
  });

  it('pause: paused without touching the weight, notified, no further tick', () => {
    const t = tickTransition(rollout(), decision('pause'), served)!;
    expect(t.patch).toMatchObject({ status: 'paused', tickSeq: 5 });
    expect(t.patch).not.toHaveProperty('weightUnits');
    expect(t.weightChange).toBeUndefined();
    expect(t.event?.kind).toBe('paused');
    expect(t.notifications.map((n) => [n.event, n.reason])).toEqual([['rollout.paused', 'because pause']]);
    expect(t.schedule).toBeUndefined();
  });

  it('await-approval: entered once (event and webhook), then observed silently while still ticking', () => {
    const first = tickTransition(rollout({ stepIndex: 1 }), decision('await-approval'), served)!;
    expect(first.patch.status).toBe('awaiting-approval');
    expect(first.event?.kind).toBe('awaiting-approval');
    expect(first.notifications.map((n) => n.event)).toEqual(['rollout.awaiting_approval']);
    expect(first.schedule).toEqual({ rolloutId: 7, tickSeq: 5, atMs: NOW + 10_000 });
    const again = tickTransition(first.next, decision('await-approval'), served)!;
    expect(again.patch.status).toBeUndefined();
    expect(again.event).toBeUndefined();
    expect(again.notifications).toEqual([]);
    expect(again.schedule).toEqual({ rolloutId: 7, tickSeq: 6, atMs: NOW + 10_000 });
  });

  it('hold: only the counters, the reason and the next tick move', () => {
    const t = tickTransition(rollout(), decision('hold'), served)!;
    expect(t.patch).toEqual({
      counters,
      lastReason: 'because hold',
      tickSeq: 5,
      nextTickAt: iso(NOW + 10_000),
      updatedAt: iso(NOW),
    });
    expect(t.event).toBeUndefined();
    expect(t.notifications).toEqual([]);
    expect(t.weightChange).toBeUndefined();
    expect(t.tick.decision).toBe('hold');
  });

  it('a record that no longer ticks takes no tick (nothing to write)', () => {
    for (const status of ['paused', 'rolled-back', 'aborted', 'completed'] as RolloutStatus[]) {
      expect(tickTransition(rollout({ status }), decision('advance'), served)).toBeUndefined();
    }
  });

  it('the version moves by one and is never part of the patch (the driver guards the write with the version read)', () => {
    const t = tickTransition(rollout({ version: 9 }), decision('advance'), served)!;
    expect(t.next.version).toBe(10);
    expect(t.patch).not.toHaveProperty('version');
  });
});

describe('hold until served', () => {
  it('advance, complete and await-approval wait while the environment has unpublished changes; rollback never does', () => {
    for (const d of ['advance', 'complete', 'await-approval'] as Decision[])
      expect(waitsUntilServed(decision(d))).toBe(true);
    for (const d of ['rollback', 'hold'] as Decision[]) expect(waitsUntilServed(decision(d))).toBe(false);
    const t = tickTransition(rollout({ weightUnits: 50_000, stepIndex: 1 }), decision('rollback'), {
      ...served,
      unpublished: true,
    })!;
    expect(t.patch.status).toBe('rolled-back');
  });

  it('a pause waits only when a sample-ratio mismatch caused it', () => {
    expect(waitsUntilServed(decision('pause'))).toBe(false);
    const srm = { mismatch: true } as TickDecision['srm'];
    expect(waitsUntilServed(decision('pause', { srm }))).toBe(true);
    expect(tickTransition(rollout(), decision('pause'), { ...served, unpublished: true })!.patch.status).toBe('paused');
    expect(
      tickTransition(rollout(), decision('pause', { srm }), { ...served, unpublished: true })!.patch.status,
    ).toBeUndefined();
  });

  it('a deferred decision is recorded as a hold that restarts the step clock, with no event, weight or webhook', () => {
    const t = tickTransition(rollout(), decision('advance'), { ...served, unpublished: true })!;
    const held = 'held: changes of this environment are not served by the evaluators yet (advance deferred)';
    expect(t.tick).toEqual({ decision: 'hold', reason: held });
    expect(t.patch).toEqual({
      counters,
      lastReason: held,
      tickSeq: 5,
      nextTickAt: iso(NOW + 10_000),
      stepStartedAt: iso(NOW),
      updatedAt: iso(NOW),
    });
    expect(t.event).toBeUndefined();
    expect(t.weightChange).toBeUndefined();
    expect(t.notifications).toEqual([]);
  });
});

describe('a kill switch during the rollout', () => {
  it('pauses the rollout whatever the decision, with its own reason; the tick row keeps what was decided', () => {
    const kill = 'the flag was disabled (kill switch) during the rollout';
    for (const d of ['advance', 'rollback', 'hold'] as Decision[]) {
      const t = tickTransition(rollout(), decision(d), { ...served, flagDisabled: true })!;
      expect(t.patch).toMatchObject({ status: 'paused', lastReason: kill });
      expect(t.weightChange).toBeUndefined();
      expect(t.event).toEqual({ kind: 'paused', reason: kill });
      expect(t.notifications.map((n) => [n.event, n.reason])).toEqual([['rollout.paused', kill]]);
      expect(t.tick.decision).toBe(d);
    }
    expect(
      tickTransition(rollout(), decision('advance'), { now: NOW, flagDisabled: true, unpublished: true })!.tick
        .decision,
    ).toBe('hold');
  });
});

describe('a person acting on a rollout', () => {
  it('refuses a stale version with the current one, and any action from a status it does not start from', () => {
    const stale = refusal(actionTransition(rollout({ version: 3 }), act('pause', { version: 2 }), NOW));
    expect(stale).toBeInstanceOf(StaleVersionError);
    expect(stale).toMatchObject({ code: 'STALE_VERSION', details: { currentVersion: 3 } });
    expect(refusal(actionTransition(rollout({ version: 3 }), act('pause', { version: 3 }), NOW))).toBeUndefined();
    const cases: Array<[HumanAction['kind'], RolloutStatus]> = [
      ['pause', 'paused'],
      ['resume', 'running'],
      ['approve', 'completed'],
      ['abort', 'rolled-back'],
      ['retry', 'running'],
    ];
    for (const [kind, status] of cases) {
      const refused = refusal(actionTransition(rollout({ status, stepIndex: 1 }), act(kind), NOW));
      expect(refused).toBeInstanceOf(ConflictError);
      expect(refused?.code).toBe('INVALID_TRANSITION');
    }
    expect(refusal(actionTransition(rollout({ status: 'aborted' }), act('resume'), NOW))?.message).toBe(
      'rollout 7 is aborted; this needs one of: paused',
    );
  });

  it('pause: paused, notified with the reason or who paused it, no tick', () => {
    const t = applied(actionTransition(rollout(), act('pause'), NOW));
    expect(t.patch).toEqual({ status: 'paused', lastReason: null, updatedAt: iso(NOW) });
    expect(t.event).toEqual({ kind: 'paused', reason: null });
    expect(t.notifications).toEqual([{ event: 'rollout.paused', rollout: t.next, reason: 'paused by bob-key' }]);
    expect(t.schedule).toBeUndefined();
    expect(
      applied(actionTransition(rollout(), act('pause', { reason: 'incident' }), NOW)).notifications[0]!.reason,
    ).toBe('incident');
  });

  it('resume: running again with the step clock and consecutive counters reset, ticking after one interval', () => {
    const t = applied(actionTransition(rollout({ status: 'paused' }), act('resume', { reason: 'fixed' }), NOW));
    expect(t.patch).toEqual({
      status: 'running',
      stepStartedAt: iso(NOW),
      counters: { failures: { err: 1 }, consecutiveFailures: {}, consecutiveErrors: {} },
      tickSeq: 5,
      nextTickAt: iso(NOW + 10_000),
      lastReason: 'fixed',
      updatedAt: iso(NOW),
    });
    expect(t.event).toEqual({ kind: 'resumed', reason: 'fixed' });
    expect(t.notifications).toEqual([]);
    expect(t.schedule).toEqual({ rolloutId: 7, tickSeq: 5, atMs: NOW + 10_000 });
  });

  it("approve: only a gated step, never by the run's own requester; awaiting approval, the next tick is due now", () => {
    expect(refusal(actionTransition(rollout({ stepIndex: 0 }), act('approve'), NOW))).toMatchObject({
      code: 'NO_GATE',
      message: 'step 1 of rollout 7 has no approval gate',
    });
    const self = refusal(
      actionTransition(
        rollout({ stepIndex: 1 }),
        act('approve', { actor: { ...bob, owner: 'alice@example.com' } }),
        NOW,
      ),
    );
    expect(self).toBeInstanceOf(ForbiddenError);
    expect(self?.code).toBe('SELF_APPROVAL');
    const waiting = applied(
      actionTransition(rollout({ stepIndex: 1, status: 'awaiting-approval' }), act('approve'), NOW),
    );
    expect(waiting.patch).toEqual({
      approvedStep: 1,
      lastReason: null,
      status: 'running',
      tickSeq: 5,
      nextTickAt: iso(NOW),
      updatedAt: iso(NOW),
    });
    expect(waiting.event?.kind).toBe('approved');
    expect(waiting.schedule).toEqual({ rolloutId: 7, tickSeq: 5, atMs: NOW });
    const paused = applied(actionTransition(rollout({ stepIndex: 1, status: 'paused' }), act('approve'), NOW));
    expect(paused.patch).toEqual({ approvedStep: 1, lastReason: null, updatedAt: iso(NOW) });
    expect(paused.schedule).toBeUndefined();
    const ahead = applied(actionTransition(rollout({ stepIndex: 1 }), act('approve'), NOW));
    expect(ahead.schedule).toEqual({ rolloutId: 7, tickSeq: 4, atMs: NOW });
  });

  it('abort: everyone on control, from any active status, notified as rolled back', () => {
    for (const status of ['running', 'awaiting-approval', 'paused'] as RolloutStatus[]) {
      const t = applied(actionTransition(rollout({ status, stepIndex: 1, weightUnits: 50_000 }), act('abort'), NOW));
      expect(t.patch).toEqual({ status: 'aborted', weightUnits: 0, lastReason: null, updatedAt: iso(NOW) });
      expect(t.weightChange).toEqual({
        weightUnits: 0,
        action: 'rollout.abort',
        reason: 'rollout 7 step 2: aborted by bob-key',
      });
      expect(t.event?.kind).toBe('aborted');
      expect(t.notifications).toEqual([{ event: 'rollout.rolled_back', rollout: t.next, reason: 'aborted' }]);
      expect(t.schedule).toBeUndefined();
    }
  });

  it('retry: from step 1 with fresh counters, the first tick after the initial delay, requested by whoever asked', () => {
    const r = rollout({ status: 'rolled-back', stepIndex: 1, weightUnits: 0, approvedStep: 1 });
    const t = applied(actionTransition(r, act('retry', { reason: 'fixed' }), NOW));
    expect(t.patch).toEqual({
      status: 'running',
      stepIndex: 0,
      weightUnits: 10_000,
      stepStartedAt: iso(NOW),
      counters: EMPTY_COUNTERS,
      approvedStep: null,
      tickSeq: 5,
      nextTickAt: iso(NOW + 30_000),
      lastReason: 'fixed',
      requestedByOwner: 'bob@example.com',
      updatedAt: iso(NOW),
    });
    expect(t.weightChange).toEqual({ weightUnits: 10_000, action: 'rollout.retry', reason: 'rollout 7 step 2: fixed' });
    expect(t.event).toEqual({ kind: 'retried', reason: 'fixed' });
    expect(t.notifications).toEqual([]);
    expect(t.schedule).toEqual({ rolloutId: 7, tickSeq: 5, atMs: NOW + 30_000 });
    const asked = applied(
      actionTransition(
        rollout({ status: 'aborted' }),
        act('retry', { requestedBy: { owner: 'carol@example.com' } }),
        NOW,
      ),
    );
    expect(asked.patch.requestedByOwner).toBe('carol@example.com');
    expect(asked.weightChange?.reason).toBe('rollout 7 step 1: retry');
  });
});

describe('a new rollout', () => {
  it('starts running at step 1 with its weight, version 1, the first tick after the initial delay', () => {
    const r = startedRollout({
      projectKey: 'shop',
      environmentId: 'shop/prod',
      flagKey: 'checkout',
      policy,
      treatment: 'on',
      control: 'off',
      requestedBy: { name: 'alice-key', owner: 'alice@example.com' },
      now: NOW,
    });
    expect(r).toMatchObject({
      status: 'running',
      stepIndex: 0,
      weightUnits: 10_000,
      tickSeq: 1,
      version: 1,
      nextTickAt: iso(NOW + 30_000),
      stepStartedAt: iso(NOW),
      counters: EMPTY_COUNTERS,
      approvedStep: null,
      lastReason: null,
      createdBy: 'alice-key',
      requestedByOwner: 'alice@example.com',
      policyName: 'gated',
    });
    expect(scheduleOf({ ...r, id: 1 })).toEqual({ rolloutId: 1, tickSeq: 1, atMs: NOW + 30_000 });
  });
});
