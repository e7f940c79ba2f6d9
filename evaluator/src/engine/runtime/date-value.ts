/** The values `before` / `after` conditions accept: RFC 3339 dates and times, or epoch ms. */

// A date, or a date-time that must carry its offset: without one, `Date.parse` reads the time in
// the evaluating machine's zone, and the same rule would flip at different instants on
// different servers.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

/**
 * The instant a `before` / `after` value names, in epoch milliseconds, or `null` when it is not
 * one: a finite number is epoch ms; a string must be `YYYY-MM-DD` (midnight UTC) or
 * `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z` or `+HH:MM` / `-HH:MM`, naming a real
 * calendar date and time (no 30 February, no hour 24).
 */
export function parseDateValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || v.length > 40) return null;
  const m = DATE_TIME.exec(v);
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  // Absent parts read as 0, which is always in range.
  if (Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) return null;
  if (Number(m[7] ?? 0) > 23 || Number(m[8] ?? 0) > 59) return null;
  // Date.parse rolls 30 February over into March; the checks above rule that out first.
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
