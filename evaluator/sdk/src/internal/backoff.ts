/**
 * Reconnect delays: exponential with "full jitter" (a uniform draw below the exponential cap), so
 * a fleet of services that lost the same evaluator does not come back in lockstep and hit the
 * next one at the same instant. Pure: the random source is passed in, so tests are exact.
 */

/** The backoff's bounds, in ms. */
export interface BackoffOptions {
  /** The cap of the first retry's draw (default 250 ms). */
  initialMs: number;
  /** The largest cap, reached after a few failures (default 30 s). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000 };

/**
 * The delay before retry number `attempt` (0 for the first retry): uniform in
 * [cap/2, cap) with cap = min(maxMs, initialMs * 2^attempt). Half the cap is kept as a floor so a
 * lucky draw of ~0 ms does not turn a down evaluator into a busy loop.
 */
export function backoffDelay(
  attempt: number,
  o: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const cap = Math.min(o.maxMs, o.initialMs * 2 ** exponent);
  return Math.floor(cap / 2 + random() * (cap / 2));
}
