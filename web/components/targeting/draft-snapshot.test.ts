import {
  compileSnapshot,
  type Flag,
  type FlagConfig,
  type Segment,
  type Snapshot,
  type SnapshotFlag,
} from '@flagship/evaluator';
import { describe, expect, it } from 'vitest';
import { compileDraft, draftSnapshot, tryContext } from './draft-snapshot.ts';

const definition: Flag & { archived: boolean; createdAt: string } = {
  key: 'checkout',
  type: 'string',
  variants: { new: 'new-checkout', old: 'old-checkout', off: 'none' },
  salt: '0123456789abcdef0123456789abcdef',
  // What the API adds to a definition; not part of a snapshot.
  archived: false,
  createdAt: '2026-01-01T00:00:00Z',
};
const draft: FlagConfig = {
  enabled: true,
  offVariant: 'off',
  prerequisites: [{ flag: 'payments', variant: 'on' }],
  targets: [{ variant: 'old', values: ['vip-1'] }],
  rules: [
    { id: 'beta', conditions: [{ attribute: '', op: 'inSegment', values: ['beta'] }], serve: { variant: 'new' } },
    {
      id: 'nl',
      conditions: [{ attribute: 'country', op: 'in', values: ['NL'] }],
      serve: {
        split: [
          { variant: 'new', weight: 30_000 },
          { variant: 'old', weight: 70_000 },
        ],
      },
    },
  ],
  defaultRule: { variant: 'old' },
};
const payments: SnapshotFlag = {
  key: 'payments',
  type: 'boolean',
  variants: { on: true, off: false },
  salt: 'fedcba9876543210fedcba9876543210',
  enabled: true,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [{ conditions: [{ attribute: 'blocked', op: 'in', values: ['true'] }], serve: { variant: 'off' } }],
  defaultRule: { variant: 'on' },
  version: 4,
};
const segments: Segment[] = [
  {
    key: 'beta',
    version: 2,
    included: ['b-1'],
    excluded: [],
    rules: [{ conditions: [{ attribute: 'email', op: 'endsWith', values: ['@acme.com'] }] }],
  },
];

// The snapshot as the controller's publisher and preview build it from the stored rows.
const serverSnapshot: Snapshot = {
  environment: 'dev',
  version: 0,
  flags: {
    payments,
    checkout: {
      key: 'checkout',
      type: 'string',
      variants: definition.variants,
      salt: definition.salt,
      ...draft,
      version: 7,
    },
  },
  segments: { beta: segments[0]! },
};

const input = { definition, draft, otherFlags: [payments], segments, environment: 'dev' };

describe('the draft as a snapshot', () => {
  it('holds the draft with the model fields only, the other flags and the segments', () => {
    const s = draftSnapshot(input);
    expect(Object.keys(s.flags).sort()).toEqual(['checkout', 'payments']);
    expect(s.flags.checkout).not.toHaveProperty('archived');
    expect(s.flags.checkout).toMatchObject({ ...draft, key: 'checkout', version: 0 });
    expect(s.segments.beta).toBe(segments[0]);
    // A stale copy of this flag among the others does not replace the draft.
    const stale = draftSnapshot({
      ...input,
      otherFlags: [payments, { ...serverSnapshot.flags.checkout!, enabled: false }],
    });
    expect(stale.flags.checkout!.enabled).toBe(true);
  });

  it('answers every context as the engine does over the server-built snapshot', () => {
    const compiled = compileDraft(input);
    expect(compiled.problems).toEqual([]);
    const server = compileSnapshot(serverSnapshot);
    const contexts = [
      { targetingKey: 'vip-1', country: 'NL' },
      { targetingKey: 'b-1' },
      { targetingKey: 'x', email: 'ann@acme.com' },
      { targetingKey: 'nl-1', country: 'NL' },
      { targetingKey: 'nl-2', country: 'NL' },
      { country: 'NL' },
      { targetingKey: 'u', blocked: true },
      { targetingKey: 'de', country: 'DE' },
    ];
    const got = contexts.map((c) => tryContext(compiled, JSON.stringify(c)));
    for (const [i, c] of contexts.entries()) {
      const want = server.explain('checkout', c);
      const r = got[i]!;
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      const { flagMetadata: _a, ...mine } = r.explanation.result;
      const { flagMetadata: _b, ...theirs } = want.result;
      expect(mine).toEqual(theirs);
      expect({ ...r.explanation, result: undefined }).toEqual({ ...want, result: undefined });
    }
    const reasons = got.map((r) => (r.ok ? `${r.explanation.result.reason}:${r.explanation.result.variant}` : r.error));
    expect(reasons[0]).toBe('TARGETING_MATCH:old');
    expect(reasons[1]).toBe('TARGETING_MATCH:new');
    expect(reasons[2]).toBe('TARGETING_MATCH:new');
    expect(reasons[3]).toMatch(/^SPLIT:(new|old)$/);
    expect(reasons[5]).toBe('ERROR:undefined');
    expect(reasons[6]).toBe('PREREQUISITE_FAILED:off');
    expect(reasons[7]).toBe('DEFAULT:old');
  });

  it('splits 30/70 over many keys', () => {
    const compiled = compileDraft(input);
    let treated = 0;
    for (let i = 0; i < 4000; i++) {
      const r = tryContext(compiled, JSON.stringify({ targetingKey: `user-${i}`, country: 'NL' }));
      if (r.ok && r.explanation.result.variant === 'new') treated++;
    }
    expect(treated / 4000).toBeGreaterThan(0.27);
    expect(treated / 4000).toBeLessThan(0.33);
  });

  it('says what is wrong with the context or the draft', () => {
    const compiled = compileDraft(input);
    expect(tryContext(compiled, '{')).toMatchObject({ ok: false, error: expect.stringMatching(/not JSON/) });
    expect(compiled.missingPrerequisites).toEqual([]);
    const unloaded = compileDraft({ ...input, otherFlags: [] });
    expect(unloaded.missingPrerequisites).toEqual(['payments']);
    expect(tryContext(unloaded, '{"targetingKey":"x"}')).toMatchObject({
      ok: true,
      explanation: { result: { reason: 'PREREQUISITE_FAILED' } },
    });
    expect(tryContext(compiled, '[1]')).toMatchObject({ ok: false, error: expect.stringMatching(/JSON object/) });
    const bad = compileDraft({
      ...input,
      draft: { ...draft, defaultRule: { split: [{ variant: 'nope', weight: 10 }] } },
    });
    expect(bad.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['defaultRule.split[0].variant']));
  });
});
