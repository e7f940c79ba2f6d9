/**
 * A rollout with `n` analysis ticks for the rollout page's benchmark. The rollout is started
 * through the admin API (policy `standard`, so it is real: pinned policy, timeline, weights); its
 * ticks are written through the controller's own store into the stack's SQLite file, each with
 * evidence the controller's own `decideTick` produced from varied raw values, as the workers
 * store them (a real Prometheus would need n intervals of wall time).
 */
import { join } from 'node:path';
import { createDatabase, createKyselyStores, decideTick, EMPTY_COUNTERS, plannedQueries } from '@flagship/controller';
import type { ConsoleStack } from '../test-support/console-stack.ts';

export async function seedRolloutWithTicks(s: ConsoleStack, n: number): Promise<number> {
  await s.admin.setUpBooleanFlag('bench-rollout', 'prod', 'ramp');
  const cfg = await s.admin.ok<{ version: number }>('GET', '/projects/bench-rollout/environments/prod/flags/ramp');
  await s.admin.putConfig('bench-rollout', 'prod', 'ramp', cfg.version, {
    enabled: true,
    defaultRule: { variant: 'off' },
  });
  const { id } = await s.admin.ok<{ id: number }>(
    'POST',
    '/projects/bench-rollout/environments/prod/flags/ramp/rollouts',
    {
      policy: 'standard',
      treatment: 'on',
      control: 'off',
    },
  );
  // Paused, so the workers never tick it: the seeded ticks are the only ones (their seq is unique).
  await s.admin.ok('POST', `/rollouts/${id}/pause`, { reason: 'bench: seeded ticks' });
  const detail = await s.admin.ok<{ policyDocument: Parameters<typeof plannedQueries>[0] }>('GET', `/rollouts/${id}`);
  const policy = detail.policyDocument;
  const db = createDatabase({ sqliteFile: join(s.dataDir, 'controller.sqlite') });
  try {
    const stores = createKyselyStores(db);
    const start = Date.now() - n * 30_000;
    for (let seq = 1; seq <= n; seq++) {
      const now = start + seq * 30_000;
      const answers = new Map(
        plannedQueries(policy, 0).map((q, k) => {
          // Counts that grow with the tick, rates that wander: every tick's evidence differs.
          const value = q.id.includes('traffic') || q.id.includes('total') ? 100 * seq + k : (seq % 17) + k;
          return [q.id, { id: q.id, arm: q.arm, query: q.template, measurement: { kind: 'value' as const, value } }];
        }),
      );
      const d = decideTick({
        policy,
        stepIndex: 0,
        stepStartedAt: start,
        now,
        counters: EMPTY_COUNTERS,
        approvedStep: undefined,
        answers,
      });
      await stores.rollouts.insertTick({
        rolloutId: id,
        seq,
        at: new Date(now).toISOString(),
        stepIndex: 0,
        weightUnits: 1_000,
        decision: d.decision,
        reason: d.reason,
        evidence: {
          window: '60s',
          prometheus: 'http://127.0.0.1:9090',
          queries: [...answers.values()],
          metrics: d.metrics,
          traffic: d.traffic,
          srm: d.srm ?? null,
        },
        lagMs: 3,
      });
    }
  } finally {
    await db.destroy();
  }
  return id;
}
