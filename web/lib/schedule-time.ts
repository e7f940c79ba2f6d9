/**
 * Times of schedules. The API takes `at` as ISO-8601 with an offset and answers in UTC
 * (docs/api.md "Schedules"); a `datetime-local` input gives a wall-clock time with no zone, which
 * the console reads in the browser's zone and sends with that zone's offset at that instant (so a
 * time across a daylight-saving change gets the offset it will have then, not today's).
 * Pure functions: the zone is a parameter (unit-tested in several zones).
 */

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, '0');

/** `+01:00`, `-05:30`, `+00:00` for an offset in minutes east of UTC. */
export function offsetText(minutesEast: number): string {
  const sign = minutesEast < 0 ? '-' : '+';
  const m = Math.abs(minutesEast);
  return `${sign}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** The parts of an instant's wall clock in `timeZone`. */
function wallClock(instant: number, timeZone: string) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  return Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
}

/** The zone's offset from UTC at an instant, in minutes east. */
export function zoneOffsetAt(instant: number, timeZone: string): number {
  return Math.round((wallClock(instant, timeZone) - Math.floor(instant / 1000) * 1000) / 60_000);
}

/**
 * A `datetime-local` value (`2026-03-02T09:00`, seconds optional) read in `timeZone`, as ISO-8601
 * with that zone's offset (`2026-03-02T09:00:00+01:00`), or null when it is not such a value.
 * A wall time that does not exist (skipped by a spring-forward) takes the offset after the change.
 */
export function localToIsoWithOffset(local: string, timeZone: string): string | null {
  const m = LOCAL.exec(local);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const asUtc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? '0'));
  if (Number.isNaN(asUtc)) return null;
  // Two passes settle the offset at the instant itself (the first guess uses the offset at the
  // wall time read as UTC, which is off by the offset near a change).
  let offset = zoneOffsetAt(asUtc, timeZone);
  offset = zoneOffsetAt(asUtc - offset * 60_000, timeZone);
  return `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${offsetText(offset)}`;
}

/** `2026-03-02 08:00:00 UTC` from the API's UTC ISO. */
export function utcText(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/** `2026-03-02 09:00:00 GMT+1` (or the zone's short name): the instant on the viewer's clock. */
export function zonedText(iso: string, timeZone: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const w = new Date(wallClock(t, timeZone));
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' })
      .formatToParts(new Date(t))
      .find((x) => x.type === 'timeZoneName')?.value ?? timeZone;
  return `${w.toISOString().slice(0, 19).replace('T', ' ')} ${name}`;
}

/** "in 5 min", "3 h ago": how far an instant is from now, coarse. */
export function relativeText(iso: string, now: number): string {
  const d = Date.parse(iso) - now;
  const a = Math.abs(d);
  const v =
    a < 60_000
      ? `${Math.round(a / 1000)} s`
      : a < 3_600_000
        ? `${Math.round(a / 60_000)} min`
        : a < 172_800_000
          ? `${Math.round(a / 3_600_000)} h`
          : `${Math.round(a / 86_400_000)} days`;
  return d >= 0 ? `in ${v}` : `${v} ago`;
}

/** The `datetime-local` value of an instant in `timeZone` (to pre-fill the input: now + a few minutes). */
export function isoToLocalInput(instant: number, timeZone: string): string {
  return new Date(wallClock(instant, timeZone)).toISOString().slice(0, 16);
}
