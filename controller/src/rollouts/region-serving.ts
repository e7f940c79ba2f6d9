/**
 * Whether every region a rollout must wait for serves the environment's current version
 * (docs/regions.md, "Rollouts across regions"). Evaluators report what they serve to the home
 * Redis (`served:<env>`, a hash `<region>/<instanceId>` -> `{"version","at"}`, written on every
 * swap and every 2 s); a step's clock starts only once the outbox is drained AND each region in
 * REGIONS has an evaluator whose report is at most {@link REPORT_FRESH_MS} old and at or past the
 * version in the environment's `version` key.
 *
 * Why the `version` key read at the tick, not a version stored with the step: the version that
 * published the step is assigned by the publisher after the step's transaction commits (and a
 * publish may coalesce several outbox rows), so the rollout never knows it; once the outbox is
 * drained, the `version` key is at or past it, so a region serving that version serves the step.
 * The cost: a change published after the step makes the step wait for that one too (one report,
 * normally a few tens of ms), never the opposite (advancing on a region that lacks the step).
 *
 * A partitioned region reports nothing to the home Redis (or reports an old version), so the
 * step holds; a rollback is never held (rollout-transition.ts), and it reaches a partitioned
 * region only when the link heals.
 */
import { redisKeys, type RedisKeys } from '@flagship/evaluator/propagation';

/** A report older than this does not count: the evaluator reports every 2 s, so this is five missed reports. */
export const REPORT_FRESH_MS = 10_000;

/** What the check needs of an ioredis client (the workers' command connection). */
export interface RegionServingRedis {
  get(key: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
}

export interface RegionServingOptions {
  redis: RegionServingRedis;
  keyPrefix: string;
  /** REGIONS. */
  regions: readonly string[];
  /** Default {@link REPORT_FRESH_MS}. */
  freshMs?: number;
  now?: () => number;
  /** Bound on the two reads (default 1000 ms): the check runs inside the tick's transaction. */
  timeoutMs?: number;
}

/** One region's verdict, for the tick's reason and for tests. */
export interface RegionVerdict {
  region: string;
  /** The newest version a fresh report of this region names; undefined: no fresh report. */
  servedVersion: number | undefined;
  serves: boolean;
}

/**
 * The pure part: whether each region serves `required`, from the `served:<env>` hash's entries.
 * An entry counts when its field is `<region>/<anything>`, its JSON is `{"version": n, "at": ms}`
 * and `now - at <= freshMs` (the evaluators' clocks against this one: skew beyond a few seconds
 * makes reports look old or new; docs/regions.md).
 */
export function regionVerdicts(
  entries: Record<string, string>,
  regions: readonly string[],
  required: number,
  now: number,
  freshMs: number = REPORT_FRESH_MS,
): RegionVerdict[] {
  const newest = new Map<string, number>();
  for (const [field, text] of Object.entries(entries)) {
    const slash = field.indexOf('/');
    if (slash <= 0) continue;
    const region = field.slice(0, slash);
    let report: unknown;
    try {
      report = JSON.parse(text);
    } catch {
      continue;
    }
    const { version, at } = (report ?? {}) as { version?: unknown; at?: unknown };
    if (typeof version !== 'number' || typeof at !== 'number' || now - at > freshMs) continue;
    newest.set(region, Math.max(version, newest.get(region) ?? -Infinity));
  }
  return regions.map((region) => {
    const servedVersion = newest.get(region);
    return { region, servedVersion, serves: servedVersion !== undefined && servedVersion >= required };
  });
}

/** The check against the home Redis. */
export class RedisRegionServing {
  private readonly keys: RedisKeys;

  constructor(private readonly o: RegionServingOptions) {
    this.keys = redisKeys(o.keyPrefix);
  }

  /** The regions it waits for. */
  get regions(): readonly string[] {
    return this.o.regions;
  }

  /**
   * True when every region serves the environment's current version; false when one does not,
   * when no version is published, or when the home Redis does not answer in time (hold: the
   * step cannot be judged on data no one can vouch for).
   */
  async servesCurrent(environmentId: string): Promise<boolean> {
    if (this.o.regions.length === 0) return true;
    return (await this.verdicts(environmentId))?.every((v) => v.serves) ?? false;
  }

  /** Each region's verdict, or undefined when the version or the reports cannot be read. */
  async verdicts(environmentId: string): Promise<RegionVerdict[] | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.o.timeoutMs ?? 1000);
    });
    const read = Promise.all([
      this.o.redis.get(this.keys.version(environmentId)),
      this.o.redis.hgetall(this.keys.served(environmentId)),
    ]).catch(() => undefined);
    try {
      const answer = await Promise.race([read, timeout]);
      if (answer === undefined) return undefined;
      const [version, entries] = answer;
      const required = version === null ? NaN : Number(version);
      if (!Number.isInteger(required)) return undefined;
      return regionVerdicts(entries, this.o.regions, required, (this.o.now ?? Date.now)(), this.o.freshMs);
    } finally {
      clearTimeout(timer);
    }
  }
}
