/**
 * What an evaluator knows about its replication from the home region, from the heartbeat the
 * workers write every second (redis-keys.ts `heartbeat`; docs/regions.md). Pure: the monitor
 * (replication-monitor.ts) reads the key and the clock and asks these functions.
 */

/** The heartbeat's value: when the home region's workers wrote it, on their clock. */
export interface Heartbeat {
  /** Epoch ms on the writer's clock. */
  at: number;
  /** The home region's label. */
  region: string;
}

/** What `/readyz` and the metrics say about replication. */
export interface ReplicationStatus {
  /** This evaluator's region (REGION). */
  region: string;
  /**
   * `now - heartbeat.at` on this evaluator's clock, at least 0; null before any heartbeat was
   * read. Clock skew between the workers' host and this one adds to (or hides) staleness: keep
   * the clocks in sync (NTP); a skew of a second is a second of error here.
   */
  staleness_ms: number | null;
  /** The newest heartbeat's `at`, or null before any was read. */
  heartbeat_at: number | null;
  /** The last read of the heartbeat from the followed Redis succeeded. */
  connected: boolean;
  /** Staleness above the threshold (EVALUATOR_STALE_AFTER_MS), or no heartbeat for that long since start. */
  stale: boolean;
}

/** The heartbeat in a key's value, or undefined when the value is not one (missing, bad JSON, bad fields). */
export function parseHeartbeat(text: string | null | undefined): Heartbeat | undefined {
  if (typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { at, region } = value as Record<string, unknown>;
  if (typeof at !== 'number' || !Number.isFinite(at) || at <= 0 || typeof region !== 'string') return undefined;
  return { at, region };
}

/**
 * The status at `now`. Before the first heartbeat, an evaluator counts as stale once
 * `staleAfterMs` passed since `startedAt`: it has no evidence of being current (an empty or
 * unreachable replica), and saying "fresh" would hide a region that never synced.
 */
export function replicationStatus(o: {
  region: string;
  heartbeatAt: number | undefined;
  startedAt: number;
  now: number;
  staleAfterMs: number;
  connected: boolean;
}): ReplicationStatus {
  const staleness = o.heartbeatAt === undefined ? null : Math.max(0, o.now - o.heartbeatAt);
  const stale = staleness === null ? o.now - o.startedAt > o.staleAfterMs : staleness > o.staleAfterMs;
  return {
    region: o.region,
    staleness_ms: staleness,
    heartbeat_at: o.heartbeatAt ?? null,
    connected: o.connected,
    stale,
  };
}
