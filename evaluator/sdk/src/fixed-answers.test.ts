/**
 * The client's fast path for flags whose answer does not depend on the context (the engine's
 * `fixedAnswers`): it must answer exactly what `engine.evaluate` answers, type and context checks
 * included, and count into the same series, for every kind of flag the fast path may or may not take.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSnapshot, type EvaluationContext, type FlagType, type Snapshot } from '@flagship/evaluator';
import { afterAll, describe, expect, it } from 'vitest';
import { FlagshipClient } from './flagship-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'sdk-fixed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  variants: { on: 'yes', off: 'no' },
  salt: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
  version: 1,
  enabled: true,
  offVariant: 'off',
  prerequisites: [] as Array<{ flag: string; variant: string }>,
  targets: [] as Array<{ variant: string; values: string[] }>,
  rules: [],
  defaultRule: { variant: 'on' } as Record<string, unknown>,
};
const snapshot = {
  environment: 'prod',
  version: 7,
  segments: {},
  flags: {
    static: { ...base, key: 'static', type: 'string' },
    tracked: { ...base, key: 'tracked', type: 'string', trackExposures: true },
    disabled: { ...base, key: 'disabled', type: 'string', enabled: false },
    targeted: { ...base, key: 'targeted', type: 'string', targets: [{ variant: 'off', values: ['u1'] }] },
    gated: { ...base, key: 'gated', type: 'string', prerequisites: [{ flag: 'disabled', variant: 'on' }] },
  },
} as unknown as Snapshot;

function client(): FlagshipClient {
  const file = join(dir, `${Math.random()}.json`);
  writeFileSync(file, JSON.stringify({ etag: '"7"', savedAt: 1, snapshot }));
  return new FlagshipClient({ evaluators: [], sdkKey: 'k', lastKnownGoodFile: file, offline: true });
}

describe('fixed answers', () => {
  const engine = compileSnapshot(snapshot);

  it('are the flags with no targeting, or disabled: not a targeted one, nor one behind a prerequisite', () => {
    expect([...engine.fixedAnswers.keys()].sort()).toEqual(['disabled', 'static', 'tracked']);
  });

  it('answer what engine.evaluate answers, whatever the asked type and the context', () => {
    const c = client();
    const contexts: unknown[] = [{}, { targetingKey: 'u1' }, undefined, 42, [], { targetingKey: 7 }];
    const types: FlagType[] = ['string', 'boolean'];
    for (const key of [...engine.flagKeys, 'missing'])
      for (const type of types)
        for (const ctx of contexts) {
          const want = engine.evaluate(key, (ctx ?? {}) as EvaluationContext, type);
          const fallback = type === 'string' ? 'default' : true;
          const got =
            type === 'string'
              ? c.getStringValue(key, 'default', ctx as EvaluationContext)
              : c.getBooleanValue(key, true, ctx as EvaluationContext);
          expect(got, `${key} as ${type} for ${JSON.stringify(ctx)}`).toEqual(
            want.reason === 'ERROR' ? fallback : want.value,
          );
        }
  });

  it('count into the series the engine path counts into: per variant for a tracked flag, by reason otherwise', () => {
    const c = client();
    for (let i = 0; i < 5; i++) c.getStringValue('tracked', 'd', { targetingKey: `u${i}` });
    for (let i = 0; i < 3; i++) c.getStringValue('static', 'd');
    c.getStringValue('disabled', 'd');
    c.getStringValue('static', 'd', 42 as unknown as EvaluationContext); // INVALID_CONTEXT: not the fast path
    const counts = c.evaluationCounts().map((t) => [t.flag, t.variant, t.reason, t.value]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ['tracked', 'on', 'STATIC', 5],
        ['', '', 'STATIC', 3],
        ['', '', 'DISABLED', 1],
        ['', '', 'ERROR:INVALID_CONTEXT', 1],
      ]),
    );
    expect(counts).toHaveLength(4);
  });
});
