/**
 * Steady open-loop load for the demo service: `GET /work?user=u<n>` at a fixed rate, for a bounded
 * time. Open-loop (requests are sent on schedule, not when the previous one returns) so a slow
 * treatment does not quietly lower its own traffic; in-flight requests are capped so a stalled
 * server cannot pile up sockets without bound, and requests over the cap are counted as dropped.
 */

/** Options for {@link startLoad}. */
export interface LoadOptions {
  /** Base URL of the demo service, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Requests per second, > 0 and <= 5 000. */
  rps: number;
  /** Users are drawn uniformly from u0 .. u(users-1). */
  users: number;
  /** The run ends by itself after this long (<= 24 h). */
  durationMs: number;
  /** Cap on concurrent requests. Default 256. */
  maxInFlight?: number;
  /** Per-request timeout. Default 5 000 ms. */
  requestTimeoutMs?: number;
}

/** What a run did so far. `sent = ok + failed + errors + inFlight`. */
export interface LoadCounts {
  /** Requests started. */
  sent: number;
  /** 2xx answers. */
  ok: number;
  /** Non-2xx answers (the demo service's injected failures are 500s). */
  failed: number;
  /** No answer: connection error or timeout. */
  errors: number;
  /** Not sent because `maxInFlight` requests were already open. */
  dropped: number;
  inFlight: number;
  /** Answers per variant, from the demo service's JSON body. */
  byVariant: Record<string, number>;
}

/** A running load. */
export interface LoadRun {
  /** Resolves when `durationMs` has passed (or `stop()` was called) and every request has settled. */
  done: Promise<LoadCounts>;
  /** Ends the run early; resolves like `done`. */
  stop(): Promise<LoadCounts>;
  /** A snapshot of the counts so far. */
  counts(): LoadCounts;
}

/** Starts sending load at once. Throws on invalid options. */
export function startLoad(options: LoadOptions): LoadRun {
  const { rps, users, durationMs } = options;
  if (!(rps > 0 && rps <= 5_000)) throw new Error(`rps must be in (0, 5000], got ${rps}`);
  if (!(Number.isInteger(users) && users >= 1)) throw new Error(`users must be a positive integer, got ${users}`);
  if (!(durationMs >= 0 && durationMs <= 86_400_000))
    throw new Error(`durationMs must be in [0, 24 h], got ${durationMs}`);
  const maxInFlight = options.maxInFlight ?? 256;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const endpoint = new URL('/work', options.url);

  const counts: LoadCounts = { sent: 0, ok: 0, failed: 0, errors: 0, dropped: 0, inFlight: 0, byVariant: {} };
  const pending = new Set<Promise<void>>();
  const started = Date.now();
  let scheduled = 0;

  const sendOne = async () => {
    const url = new URL(endpoint);
    url.searchParams.set('user', `u${Math.floor(Math.random() * users)}`);
    counts.sent++;
    counts.inFlight++;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs) });
      const body = (await res.json().catch(() => ({}))) as { variant?: unknown };
      if (res.ok) counts.ok++;
      else counts.failed++;
      if (typeof body.variant === 'string') counts.byVariant[body.variant] = (counts.byVariant[body.variant] ?? 0) + 1;
    } catch {
      counts.errors++;
    } finally {
      counts.inFlight--;
    }
  };

  // Catch up to "elapsed x rps" on every tick, so timer jitter changes burst size, not the rate.
  const tick = () => {
    const elapsed = Math.min(Date.now() - started, durationMs);
    const due = Math.floor((elapsed * rps) / 1000);
    for (; scheduled < due; scheduled++) {
      if (counts.inFlight >= maxInFlight) {
        counts.dropped++;
        continue;
      }
      const p = sendOne();
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    if (Date.now() - started >= durationMs) finish();
  };
  const timer = setInterval(tick, Math.max(5, Math.min(50, 1000 / rps)));

  let resolveDone!: (c: LoadCounts) => void;
  const done = new Promise<LoadCounts>((resolve) => {
    resolveDone = resolve;
  });
  let finishing = false;
  const finish = () => {
    if (finishing) return;
    finishing = true;
    clearInterval(timer);
    // Each request is bounded by its own timeout, so this settles within requestTimeoutMs.
    void Promise.allSettled([...pending]).then(() => resolveDone(snapshot()));
  };
  const snapshot = (): LoadCounts => ({ ...counts, byVariant: { ...counts.byVariant } });
  tick();

  return {
    done,
    stop() {
      finish();
      return done;
    },
    counts: snapshot,
  };
}
