/**
 * The evaluation counters on real engine views and a real prom-client registry: per variant only
 * for tracked flags, everything else in a bounded aggregate, and exposure series of a flag whose
 * tracking ended dropped once every scrape has seen their final value. The same path through the
 * running server is in ofrep.int.test.ts and, from a rollout start through the whole stack, in
 * controller/src/snapshots/exposure-tracking.int.test.ts.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { compileSnapshot } from '../../engine/compile-snapshot.ts';
import { makeFlag, makeSnapshot, ramp } from '../../engine/test-support.ts';
import type { SnapshotFlag } from '../../model/flag.ts';
import { EngineView } from '../ofrep/engine-view.ts';
import { evaluateBulk, evaluateSingle, type BulkReply, type OfrepReply } from '../ofrep/ofrep-responses.ts';
import { REASON_LABELS } from '../ofrep/reason-labels.ts';
import { EvaluationCounts, UNTRACKED_SERIES_TTL_MS } from './evaluation-counts.ts';

function viewOf(environment: string, flags: SnapshotFlag[], version = 1): EngineView {
  const snapshot = { ...makeSnapshot(flags, {}, version), environment };
  return new EngineView(compileSnapshot(snapshot), environment, version, []);
}

/** A metrics source over views that tests swap, as the snapshot follower does. */
class Views {
  current = new Map<string, EngineView>();
  retired: EngineView[] = [];
  serve(view: EngineView): void {
    const old = this.current.get(view.environment);
    if (old) this.retired.push(old);
    this.current.set(view.environment, view);
  }
  takeViews(): EngineView[] {
    return [...this.retired.splice(0), ...this.current.values()];
  }
  all() {
    return [...this.current.values()].map((view) => ({ environment: view.environment, view }));
  }
}

function setUp() {
  const views = new Views();
  const registry = new Registry();
  let now = 1_000_000;
  const counts = new EvaluationCounts(views, [registry], () => now);
  return {
    views,
    registry,
    counts,
    advance: (ms: number) => (now += ms),
    /** The scrape's text, as Prometheus would read it. */
    scrape: () => registry.metrics(),
  };
}

const reply = (): OfrepReply => ({ status: 0, body: '', bytes: 0, etag: undefined });
const bulkReply = (): BulkReply => ({ body: Buffer.alloc(0), etag: '' });

function seriesOf(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

describe('evaluation counts', () => {
  it('counts a tracked flag per variant, an untracked one and an unknown key only in the aggregate', async () => {
    const t = setUp();
    const view = viewOf('shop.prod', [
      makeFlag('ramped', { defaultRule: ramp(50_000), trackExposures: true }),
      makeFlag('plain', { defaultRule: ramp(50_000) }),
    ]);
    t.views.serve(view);
    const out = reply();
    for (let i = 0; i < 200; i++) {
      evaluateSingle(view, 'ramped', { targetingKey: `u${i}` }, undefined, out);
      evaluateSingle(view, 'plain', { targetingKey: `u${i}` }, undefined, out);
    }
    evaluateSingle(view, 'no-such-flag', {}, undefined, out);
    evaluateSingle(view, 'ramped', {}, undefined, out); // no targetingKey: TARGETING_KEY_MISSING, no exposure
    evaluateBulk(view, { targetingKey: 7 } as never, Buffer.alloc(0), bulkReply()); // INVALID_CONTEXT x 2

    const text = await t.scrape();
    const exposures = seriesOf(text, 'evaluator_exposures_total');
    exposures.sort();
    expect(exposures.map((l) => l.replace(/ \d+$/, ''))).toEqual([
      'evaluator_exposures_total{environment="shop.prod",flag="ramped",variant="control"}',
      'evaluator_exposures_total{environment="shop.prod",flag="ramped",variant="treatment"}',
    ]);
    const perVariant = exposures.map((l) => Number(l.split(' ')[1]));
    expect(perVariant[0]! + perVariant[1]!).toBe(200);
    // A 50% split of 200 keys: both arms served, roughly evenly.
    expect(Math.min(...perVariant)).toBeGreaterThan(60);
    expect(text).not.toMatch(/flag="plain"/);
    expect(seriesOf(text, 'evaluator_evaluations_total').sort()).toEqual(
      [
        'evaluator_evaluations_total{environment="shop.prod",reason="SPLIT"} 400',
        'evaluator_evaluations_total{environment="shop.prod",reason="ERROR:FLAG_NOT_FOUND"} 1',
        'evaluator_evaluations_total{environment="shop.prod",reason="ERROR:TARGETING_KEY_MISSING"} 1',
        'evaluator_evaluations_total{environment="shop.prod",reason="ERROR:INVALID_CONTEXT"} 2',
      ].sort(),
    );
    // A second scrape reads the same totals: the harvest moved the counts, it does not re-add them.
    expect(seriesOf(await t.scrape(), 'evaluator_evaluations_total').sort()).toEqual(
      seriesOf(text, 'evaluator_evaluations_total').sort(),
    );
  });

  it('keeps the counts of a retired view (a snapshot swap between scrapes)', async () => {
    const t = setUp();
    const flags = [makeFlag('ramped', { trackExposures: true })];
    const v1 = viewOf('shop.prod', flags, 1);
    t.views.serve(v1);
    evaluateSingle(v1, 'ramped', { targetingKey: 'a' }, undefined, reply());
    const v2 = viewOf('shop.prod', flags, 2);
    t.views.serve(v2);
    evaluateSingle(v2, 'ramped', { targetingKey: 'a' }, undefined, reply());
    const text = await t.scrape();
    expect(text).toContain('evaluator_exposures_total{environment="shop.prod",flag="ramped",variant="control"} 2');
    expect(text).toContain('evaluator_evaluations_total{environment="shop.prod",reason="STATIC"} 2');
  });

  it('stays within environments x reasons + tracked flags x variants series at 2,000 flags x 20 environments', async () => {
    const t = setUp();
    const environments = Array.from({ length: 20 }, (_, i) => `p.env${i}`);
    for (const [e, environment] of environments.entries()) {
      const flags = Array.from({ length: 2_000 }, (_, i) =>
        makeFlag(`f${i}`, {
          defaultRule: i % 3 === 0 ? ramp(30_000) : { variant: 'treatment' },
          rules: [{ conditions: [{ attribute: 'plan', op: 'in', values: ['pro'] }], serve: { variant: 'control' } }],
          enabled: i % 7 !== 0,
          // Two flags per environment are tracked (e.g. one rollout, one opt-in), different ones in each.
          // (Both enabled, so both serve both variants: 7e + 1 and 7e + 1002 are not multiples of 7.)
          ...(i === 7 * e + 1 || i === 7 * e + 1002 ? { trackExposures: true } : {}),
        }),
      );
      t.views.serve(viewOf(environment, flags));
    }
    for (const view of t.views.current.values()) {
      for (let u = 0; u < 20; u++) {
        evaluateBulk(view, { targetingKey: `u${u}`, plan: u % 2 ? 'pro' : 'free' }, Buffer.alloc(0), bulkReply());
      }
    }
    const text = await t.scrape();
    const aggregate = seriesOf(text, 'evaluator_evaluations_total');
    const exposures = seriesOf(text, 'evaluator_exposures_total');
    expect(aggregate.length).toBeLessThanOrEqual(environments.length * REASON_LABELS.length);
    // 2 tracked flags x 2 variants per environment, whatever the 2,000 x 20 flags did.
    expect(exposures.length).toBe(environments.length * 2 * 2);
    // Every evaluation is in the aggregate: 2,000 flags x 20 contexts per environment.
    const total = aggregate.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
    expect(total).toBe(environments.length * 2_000 * 20);
  });

  it('exports a flag whose tracking ended with its final value until the TTL, then drops its series', async () => {
    const t = setUp();
    const tracked = viewOf('shop.prod', [makeFlag('ramped', { trackExposures: true })], 1);
    t.views.serve(tracked);
    evaluateSingle(tracked, 'ramped', { targetingKey: 'a' }, undefined, reply());
    const line = 'evaluator_exposures_total{environment="shop.prod",flag="ramped",variant="control"}';
    expect(await t.scrape()).toContain(`${line} 1`);
    // The rollout ends: the next snapshot no longer marks the flag. An evaluation still in flight
    // on the old view is counted in the final value.
    t.views.serve(viewOf('shop.prod', [makeFlag('ramped')], 2));
    evaluateSingle(tracked, 'ramped', { targetingKey: 'b' }, undefined, reply());
    expect(await t.scrape()).toContain(`${line} 2`);
    t.advance(UNTRACKED_SERIES_TTL_MS - 1);
    expect(await t.scrape()).toContain(`${line} 2`);
    t.advance(1);
    const after = await t.scrape();
    expect(after).not.toContain(line);
    expect(after).toContain('evaluator_evaluations_total{environment="shop.prod",reason="STATIC"} 2');
  });
});
