/**
 * Which flags an environment's snapshot marks `trackExposures: true`, so its evaluators count
 * them per variant (`evaluator_exposures_total`) and every other flag only in an aggregate per
 * reason: per-variant series for every flag would be millions at design scale (docs/operations.md,
 * "Exposure counts"). Each source is one line below.
 */
import type { Stores } from '../db/stores.ts';
import type { EnvironmentRecord } from '../environments/environment-store.ts';
import type { FlagRecord } from '../flags/flag-store.ts';
import { ACTIVE_STATUSES } from '../rollouts/rollout-record.ts';

/** Page size of the active-rollout read: at most one active rollout per flag and environment. */
const ROLLOUT_PAGE = 500;

/**
 * The keys of `flags` (the environment's project's flags the snapshot carries) to count per
 * variant in `env`: a flag with an active (running, awaiting-approval or paused) rollout there,
 * one whose definition opts in, or one a metric definition of the project names in its `flags`
 * (a definition without that list is offered for every flag and tracks none: it would track all).
 */
export async function exposureTrackedFlags(
  s: Stores,
  env: EnvironmentRecord,
  flags: readonly FlagRecord[],
): Promise<Set<string>> {
  const tracked = new Set<string>();
  for (const f of flags) if (f.definition.trackExposures === true) tracked.add(f.key);
  for (const key of await activeRolloutFlags(s, env.id)) tracked.add(key);
  for (const m of await s.metrics.list(env.projectKey)) for (const key of m.definition.flags ?? []) tracked.add(key);
  // Only the flags the snapshot carries: a definition may name a flag that is archived or gone.
  const carried = new Set(flags.map((f) => f.key));
  return new Set([...tracked].filter((k) => carried.has(k)));
}

/** Flags with an active rollout in the environment (every page: there is no cap on rollouts). */
async function activeRolloutFlags(s: Stores, environmentId: string): Promise<string[]> {
  const keys: string[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await s.rollouts.list({ environmentId, statuses: ACTIVE_STATUSES, before, limit: ROLLOUT_PAGE });
    for (const r of page) keys.push(r.flagKey);
    if (page.length < ROLLOUT_PAGE) return keys;
    before = page[page.length - 1]!.id;
  }
}
