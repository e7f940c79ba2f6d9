import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, ValidationFailedError } from '../errors/domain-errors.ts';
import {
  CLOCK_SKEW_GRACE_MS,
  dueDecision,
  parseAt,
  parseScheduleRequest,
  refuseApproval,
  refuseUnlessPending,
} from './schedule-rules.ts';
import type { ScheduleStatus } from './schedule-record.ts';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return {
      type: (e as Error).constructor.name,
      problems: (e as { details?: { problems?: unknown } }).details?.problems,
    };
  }
  throw new Error('did not throw');
};

describe('parseAt', () => {
  it('reads offsets, Z and fractions into epoch ms', () => {
    expect(parseAt('2026-03-02T09:00:00+01:00')).toBe(Date.parse('2026-03-02T08:00:00Z'));
    expect(parseAt('2026-03-02T09:00-05:30')).toBe(Date.parse('2026-03-02T14:30:00Z'));
    expect(parseAt('2026-03-02T09:00:00.5Z')).toBe(Date.parse('2026-03-02T09:00:00.500Z'));
  });
  it('refuses a time without an offset, a date alone, and dates that do not exist', () => {
    for (const bad of [
      '2026-03-02T09:00:00',
      '2026-03-02',
      '2026-02-30T09:00:00Z',
      '2026-13-01T00:00Z',
      '2026-03-02T24:00Z',
      'soon',
      '2026-03-02T09:00+19:00',
    ])
      expect(typeof parseAt(bad), bad).toBe('string');
  });
});

describe('parseScheduleRequest', () => {
  const at = '2026-03-01T13:00:00Z';
  it('takes exactly one of config (with baseVersion), action, rollout', () => {
    expect(parseScheduleRequest({ at, action: 'enable', comment: 'go' }, NOW)).toEqual({
      atMs: Date.parse(at),
      comment: 'go',
      kind: 'action',
      action: 'enable',
    });
    expect(parseScheduleRequest({ at, config: { enabled: true }, baseVersion: 3 }, NOW)).toMatchObject({
      kind: 'config',
      baseVersion: 3,
      comment: '',
    });
    expect(parseScheduleRequest({ at, rollout: { policy: 'p', treatment: 'on', control: 'off' } }, NOW)).toMatchObject({
      kind: 'rollout',
      policy: 'p',
    });
    expect(problemsOf(() => parseScheduleRequest({ at }, NOW))).toEqual({
      type: 'InvalidInputError',
      problems: [{ path: 'config', message: expect.stringContaining('exactly one of') }],
    });
    expect(problemsOf(() => parseScheduleRequest({ at, action: 'enable', rollout: {} }, NOW)).problems).toEqual([
      { path: 'rollout', message: expect.stringContaining('got action, rollout') },
    ]);
  });
  it('names the field of each envelope problem (400)', () => {
    expect(problemsOf(() => parseScheduleRequest({ at, config: {} }, NOW))).toEqual({
      type: 'InvalidInputError',
      problems: [{ path: 'baseVersion', message: expect.stringContaining('is required') }],
    });
    expect(problemsOf(() => parseScheduleRequest({ at, action: 'enable', baseVersion: 2 }, NOW)).problems).toEqual([
      { path: 'baseVersion', message: 'is only taken with config' },
    ]);
    expect(problemsOf(() => parseScheduleRequest({ at, action: 'toggle' }, NOW)).problems).toEqual([
      { path: 'action', message: 'must be one of enable, disable' },
    ]);
    expect(
      problemsOf(() => parseScheduleRequest({ at, rollout: { policy: 'p', treatment: 1 } }, NOW)).problems,
    ).toEqual([
      { path: 'rollout.treatment', message: 'must be a string' },
      { path: 'rollout.control', message: 'is required' },
    ]);
    expect(
      problemsOf(() => parseScheduleRequest({ at: '2026-03-01T13:00:00', action: 'enable' }, NOW)).problems,
    ).toEqual([{ path: 'at', message: expect.stringContaining('with an offset') }]);
    expect(problemsOf(() => parseScheduleRequest({ action: 'enable', extra: 1 }, NOW)).problems).toEqual([
      { path: 'extra', message: 'unknown field' },
      { path: 'at', message: 'is required' },
    ]);
  });
  it('wants `at` in the future, within the clock-skew grace (422 naming at)', () => {
    const ago = (ms: number) => new Date(NOW - ms).toISOString();
    expect(parseScheduleRequest({ at: ago(CLOCK_SKEW_GRACE_MS - 1), action: 'enable' }, NOW).kind).toBe('action');
    expect(problemsOf(() => parseScheduleRequest({ at: ago(CLOCK_SKEW_GRACE_MS + 1), action: 'enable' }, NOW))).toEqual(
      {
        type: 'ValidationFailedError',
        problems: [{ path: 'at', message: expect.stringContaining('must lie in the future') }],
      },
    );
    expect(
      problemsOf(() => parseScheduleRequest({ at: '2028-01-01T00:00:00Z', action: 'enable' }, NOW)).problems,
    ).toEqual([{ path: 'at', message: 'must lie within a year and a day from now' }]);
  });
});

describe('status transitions', () => {
  const at = '2026-03-01T12:00:00.000Z';
  const r = (status: ScheduleStatus, approved = false) => ({
    id: 1,
    status,
    at,
    approvedBy: approved ? { keyId: 'k', name: 'n', owner: 'bob' } : null,
  });
  it('a due schedule is applied, expired or skipped; one not yet due waits', () => {
    const due = { nowMs: NOW, requiresApproval: false };
    expect(dueDecision(r('scheduled'), due)).toEqual({ kind: 'apply' });
    expect(dueDecision(r('scheduled'), { nowMs: NOW - 250, requiresApproval: false })).toEqual({
      kind: 'not-due',
      inMs: 250,
    });
    expect(dueDecision(r('awaiting-approval'), due).kind).toBe('expire');
    // The environment began to require approval after the schedule was made: never applied unapproved.
    expect(dueDecision(r('scheduled'), { nowMs: NOW, requiresApproval: true }).kind).toBe('expire');
    expect(dueDecision(r('scheduled', true), { nowMs: NOW, requiresApproval: true })).toEqual({ kind: 'apply' });
    for (const s of ['applied', 'cancelled', 'conflicted', 'expired'] as const)
      expect(dueDecision(r(s), due)).toEqual({ kind: 'skip', reason: `already ${s}` });
  });
  it('cancel only while pending; approval only while awaiting it and before at', () => {
    expect(() => refuseUnlessPending(r('scheduled'), 'cancelled')).not.toThrow();
    expect(() => refuseUnlessPending(r('awaiting-approval'), 'cancelled')).not.toThrow();
    for (const s of ['applied', 'cancelled', 'conflicted', 'expired'] as const)
      expect(() => refuseUnlessPending(r(s), 'cancelled')).toThrow(ConflictError);
    expect(() => refuseApproval(r('awaiting-approval'), NOW - 1)).not.toThrow();
    expect(() => refuseApproval(r('awaiting-approval'), NOW)).toThrow(/too late/);
    expect(() => refuseApproval(r('scheduled'), NOW - 1)).toThrow(/nothing to approve/);
  });
  it('error classes are the ones the API maps (400 envelope, 422 model)', () => {
    expect(() => parseScheduleRequest({}, NOW)).toThrow(InvalidInputError);
    expect(() => parseScheduleRequest({ at: '2020-01-01T00:00Z', action: 'enable' }, NOW)).toThrow(
      ValidationFailedError,
    );
  });
});
