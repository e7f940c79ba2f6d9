/**
 * The time range of a chart page, read from its URL (`range=1h`, or `from=` and `to=` as
 * ISO-8601), and the step that draws it in a bounded number of points. The URL is the state, so a
 * range can be shared and reloaded; a range the page cannot draw is a message, never a throw.
 */

export const PRESETS = { '15m': 900, '1h': 3_600, '6h': 21_600, '24h': 86_400, '7d': 604_800 } as const;
export type Preset = keyof typeof PRESETS;
export const DEFAULT_PRESET: Preset = '1h';

/** Points per series the charts aim for: enough to see a step change, few enough to query fast. */
export const TARGET_POINTS = 240;
/** Steps a person reads easily (seconds); the smallest that keeps the points under the target wins. */
const STEPS = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400];
/** The longest range a page asks Prometheus for (its retention is rarely longer). */
export const MAX_RANGE_SECONDS = 31 * 86_400;

export interface TimeRange {
  /** Epoch seconds. */
  from: number;
  to: number;
  step: number;
  /** The preset it came from, or undefined for a custom range. */
  preset: Preset | undefined;
}

export type RangeResult = { ok: true; range: TimeRange } | { ok: false; field: string; message: string };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function parseInstant(v: string): number | undefined {
  // datetime-local inputs send "2026-12-02T14:00" without a zone: the console means UTC.
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? `${v}Z` : v;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** The step (seconds) that draws `seconds` in at most TARGET_POINTS points. */
export function stepFor(seconds: number): number {
  return STEPS.find((s) => seconds / s <= TARGET_POINTS) ?? STEPS[STEPS.length - 1]!;
}

export function readTimeRange(sp: Record<string, string | string[] | undefined>, nowMs = Date.now()): RangeResult {
  const now = Math.floor(nowMs / 1000);
  const fromText = one(sp.from)?.trim();
  const toText = one(sp.to)?.trim();
  if (fromText || toText) {
    const from = fromText ? parseInstant(fromText) : undefined;
    if (from === undefined)
      return { ok: false, field: 'from', message: 'must be a time such as 2026-12-02T14:00 (UTC)' };
    const to = toText ? parseInstant(toText) : now;
    if (to === undefined) return { ok: false, field: 'to', message: 'must be a time such as 2026-12-02T15:00 (UTC)' };
    if (to <= from) return { ok: false, field: 'to', message: 'must be after from' };
    if (to - from > MAX_RANGE_SECONDS)
      return { ok: false, field: 'from', message: 'the range may span 31 days at most' };
    return { ok: true, range: { from, to, step: stepFor(to - from), preset: undefined } };
  }
  const name = one(sp.range) ?? DEFAULT_PRESET;
  if (!(name in PRESETS))
    return { ok: false, field: 'range', message: `must be one of ${Object.keys(PRESETS).join(', ')}` };
  const seconds = PRESETS[name as Preset];
  const step = stepFor(seconds);
  // Aligned to the step, so reloading a minute later asks for the same buckets plus new ones.
  const to = Math.ceil(now / step) * step;
  return { ok: true, range: { from: to - seconds, to, step, preset: name as Preset } };
}

/** `2026-12-02T14:00` for a datetime-local input (UTC). */
export function inputValue(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 16);
}
