import { compileSnapshot, type Snapshot } from '@flagship/evaluator';
import { describe, expect, it } from 'vitest';
import { CountTotals, EngineCounts } from './evaluation-counts.ts';

const flag = (key: string, trackExposures: boolean) => ({
  key,
  type: 'string' as const,
  variants: { a: 'A', b: 'B' },
  salt: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
  version: 1,
  enabled: true,
  offVariant: 'a',
  prerequisites: [],
  targets: [{ variant: 'b', values: ['vip'] }],
  rules: [],
  defaultRule: { variant: 'a' },
  trackExposures,
});
const snapshot: Snapshot = {
  environment: 'prod',
  version: 2,
  flags: { tracked: flag('tracked', true), plain: flag('plain', false) },
  segments: {},
};

describe('EngineCounts', () => {
  const engine = compileSnapshot(snapshot);

  it('counts tracked flags per variant, the rest by reason, errors by code', () => {
    const counts = new EngineCounts(engine);
    for (let i = 0; i < 5; i++) counts.count(engine.evaluate('tracked', { targetingKey: `u${i}` }));
    counts.count(engine.evaluate('tracked', { targetingKey: 'vip' }));
    for (let i = 0; i < 3; i++) counts.count(engine.evaluate('plain', { targetingKey: 'vip' }));
    for (let i = 0; i < 4; i++) counts.count(engine.evaluate(`missing-${i}`, {}));
    counts.count(engine.evaluate('plain', {}, 'boolean'));
    counts.countNotReady();
    const totals = new CountTotals();
    totals.fold('prod', counts);
    const got = totals.values().map((t) => `${t.flag}/${t.variant}/${t.reason}=${t.value}`);
    expect(got.sort()).toEqual(
      [
        'tracked/a/DEFAULT=5',
        'tracked/b/TARGETING_MATCH=1',
        '//TARGETING_MATCH=3',
        '//ERROR:FLAG_NOT_FOUND=4',
        '//ERROR:TYPE_MISMATCH=1',
        '//ERROR:PROVIDER_NOT_READY=1',
      ].sort(),
    );
  });

  it('keeps no entry per unknown key (the map would grow with every key a caller invents)', () => {
    const counts = new EngineCounts(engine);
    for (let i = 0; i < 10_000; i++) counts.count(engine.evaluate(`nope-${i}`, {}));
    expect(counts.all.length).toBe(13); // the by-reason slots only
    expect(counts.all.find((s) => s.reason === 'ERROR:FLAG_NOT_FOUND')!.count).toBe(10_000);
  });

  it('folding moves the counts: a second fold adds only what came after', () => {
    const counts = new EngineCounts(engine);
    const totals = new CountTotals();
    counts.count(engine.evaluate('tracked', {}));
    totals.fold('prod', counts);
    totals.fold('prod', counts);
    counts.count(engine.evaluate('tracked', {}));
    totals.fold('prod', counts);
    expect(totals.values().map((t) => t.value)).toEqual([2]);
  });
});
