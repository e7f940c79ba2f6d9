import { describe, expect, it } from 'vitest';
import {
  type ChangeRequest,
  comparison,
  currentPathOf,
  currentVersionOf,
  actionOf,
  statusText,
  subjectOf,
  thingOf,
} from './change-request-model.ts';

const cr = (o: Partial<ChangeRequest>): ChangeRequest => ({
  id: '7',
  environmentId: 'shop.prod',
  projectKey: 'shop',
  kind: 'config',
  baseVersion: 1,
  comment: '',
  status: 'pending',
  author: { keyId: '2', name: 'laptop', owner: 'alice' },
  reviews: [],
  appliedVersion: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...o,
});
const E = '/projects/shop/environments/prod';

describe('change request model', () => {
  it('names the thing each kind changes and where its current version is read', () => {
    const config = cr({ flagKey: 'checkout' });
    expect([subjectOf(config), thingOf(config), currentPathOf(config, 'shop', E)]).toEqual([
      { kind: 'flag', key: 'checkout' },
      'the config of flag checkout',
      `${E}/flags/checkout`,
    ]);
    const def = cr({ kind: 'archive', flagKey: 'checkout' });
    expect([thingOf(def), currentPathOf(def, 'shop', E)]).toEqual(['flag checkout', '/projects/shop/flags/checkout']);
    const segment = cr({ kind: 'segment', segment: { action: 'delete', key: 'beta' } });
    expect([subjectOf(segment), currentPathOf(segment, 'shop', E)]).toEqual([
      { kind: 'segment', key: 'beta' },
      `${E}/segments/beta`,
    ]);
    expect(currentPathOf(cr({ kind: 'rollout-retry', rolloutId: 4 }), 'shop', E)).toBe('/rollouts/4');
  });

  it('compares without bookkeeping; a missing thing is null at version 0', () => {
    const config = { enabled: true, rules: [] };
    expect(comparison(cr({ flagKey: 'f', config }), { enabled: false, rules: [], version: 3 })).toEqual({
      current: { enabled: false, rules: [] },
      proposal: config,
    });
    const create = cr({
      kind: 'segment',
      baseVersion: 0,
      segment: { action: 'create', key: 'vip', segment: { key: 'vip', included: ['u1'], version: 1 } },
    });
    expect(comparison(create, undefined)).toEqual({ current: null, proposal: { key: 'vip', included: ['u1'] } });
    expect(currentVersionOf(undefined)).toBe(0);
    const del = cr({ kind: 'segment', segment: { action: 'delete', key: 'vip' } });
    expect(comparison(del, { key: 'vip', included: [], version: 2, usedBy: [] })).toEqual({
      current: { key: 'vip', included: [] },
      proposal: null,
    });
    expect(comparison(cr({ kind: 'unarchive', flagKey: 'f' }), { archived: true, version: 5 })).toEqual({
      current: { archived: true },
      proposal: { archived: false },
    });
  });

  it('a schedule request: what and when, its diff, and its applied status read as approved', () => {
    const at = '2026-03-02T08:00:00.000Z';
    const cfg = {
      enabled: true,
      offVariant: 'off',
      prerequisites: [],
      targets: [],
      rules: [],
      defaultRule: { variant: 'on' },
    };
    const byConfig = cr({ kind: 'schedule', flagKey: 'checkout', config: cfg, schedule: { at, kind: 'config' } });
    expect([thingOf(byConfig), currentPathOf(byConfig, 'shop', E), actionOf(byConfig)]).toEqual([
      'the config of flag checkout',
      `${E}/flags/checkout`,
      'schedule: change config at 2026-03-02 08:00:00 UTC',
    ]);
    const current = { ...cfg, enabled: false, version: 3 };
    expect(comparison(byConfig, current)).toEqual({ current: { ...cfg, enabled: false }, proposal: cfg });
    const off = cr({ kind: 'schedule', flagKey: 'checkout', schedule: { at, kind: 'action', action: 'disable' } });
    expect(actionOf(off)).toBe('schedule: turn off at 2026-03-02 08:00:00 UTC');
    expect(comparison(off, { ...cfg, version: 3 })).toEqual({
      current: { enabled: true },
      proposal: { enabled: false },
    });
    expect(statusText({ ...off, status: 'pending' })).toBe('pending');
    expect(statusText({ ...off, status: 'applied' })).toBe('approved, applies at 2026-03-02 08:00:00 UTC');
    expect(statusText(cr({ status: 'applied' }))).toBe('applied');
  });
});
