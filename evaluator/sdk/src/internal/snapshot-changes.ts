/**
 * What the SDK does with snapshots beyond compiling them: which flags a new one changed (for
 * OpenFeature's CONFIGURATION_CHANGED), and the fail-mode view of a snapshot no evaluator has
 * confirmed yet (docs/sdk.md, "Fail modes").
 */
import type { Snapshot, SnapshotDelta } from '@flagship/evaluator';

/** Keys of the flags added, removed or changed between two snapshots, sorted. */
export function changedFlagKeys(before: Snapshot | undefined, after: Snapshot): string[] {
  if (before === undefined) return Object.keys(after.flags).sort();
  const changed = new Set<string>();
  for (const [key, flag] of Object.entries(after.flags)) {
    const old = before.flags[key];
    // A flag's definition can change without its config version (variants, salt): compare all of it.
    if (old === undefined || JSON.stringify(old) !== JSON.stringify(flag)) changed.add(key);
  }
  for (const key of Object.keys(before.flags)) if (!(key in after.flags)) changed.add(key);
  // A segment change changes every flag that can read it; without tracing references, all of them.
  if (JSON.stringify(before.segments) !== JSON.stringify(after.segments)) {
    for (const key of Object.keys(after.flags)) changed.add(key);
  }
  return [...changed].sort();
}

/**
 * A snapshot read from the last-known-good file, before any evaluator confirmed it: the flags
 * whose `failMode` is `off` are served as disabled (their off variant, reason DISABLED), the rest
 * (`last`, the default) as the file says. The snapshot is returned as is when no flag is `off`.
 */
export function unconfirmedView(snapshot: Snapshot): Snapshot {
  const off = Object.values(snapshot.flags).filter((f) => f.failMode === 'off');
  if (off.length === 0) return snapshot;
  const flags = { ...snapshot.flags };
  for (const flag of off) flags[flag.key] = { ...flag, enabled: false };
  return { ...snapshot, flags };
}

/**
 * The flags a delta may change the answers of, sorted: the flags it sets or removes, and the
 * flags of `after` whose conditions name a segment it sets or removes.
 */
export function deltaChangedFlagKeys(
  delta: Pick<SnapshotDelta, 'flags' | 'segments'>,
  after: Pick<Snapshot, 'flags'>,
): string[] {
  const changed = new Set(Object.keys(delta.flags));
  const segments = new Set(Object.keys(delta.segments));
  if (segments.size > 0) {
    for (const flag of Object.values(after.flags)) {
      if (changed.has(flag.key)) continue;
      const uses = flag.rules.some((rule) =>
        rule.conditions.some(
          (c) => (c.op === 'inSegment' || c.op === 'notInSegment') && c.values.some((v) => segments.has(String(v))),
        ),
      );
      if (uses) changed.add(flag.key);
    }
  }
  return [...changed].sort();
}
