import { describe, expect, it } from 'vitest';
import {
  isoToLocalInput,
  localToIsoWithOffset,
  offsetText,
  relativeText,
  utcText,
  zonedText,
  zoneOffsetAt,
} from './schedule-time.ts';

describe('schedule times', () => {
  it('writes offsets east and west of UTC', () => {
    expect(offsetText(60)).toBe('+01:00');
    expect(offsetText(-330)).toBe('-05:30');
    expect(offsetText(0)).toBe('+00:00');
    expect(offsetText(345)).toBe('+05:45');
  });

  it('reads a datetime-local value in the given zone, with the offset it has at that instant', () => {
    expect(localToIsoWithOffset('2026-03-02T09:00', 'Europe/Berlin')).toBe('2026-03-02T09:00:00+01:00');
    // Summer time in Berlin: +02:00 at that date, whatever today's offset is.
    expect(localToIsoWithOffset('2026-07-02T09:00', 'Europe/Berlin')).toBe('2026-07-02T09:00:00+02:00');
    expect(localToIsoWithOffset('2026-01-15T18:30:15', 'America/New_York')).toBe('2026-01-15T18:30:15-05:00');
    expect(localToIsoWithOffset('2026-01-15T18:30', 'Asia/Kathmandu')).toBe('2026-01-15T18:30:00+05:45');
    expect(localToIsoWithOffset('2026-01-15T18:30', 'UTC')).toBe('2026-01-15T18:30:00+00:00');
  });

  it('the ISO it writes is the same instant as the wall time in that zone', () => {
    const iso = localToIsoWithOffset('2026-10-20T01:30', 'Europe/London');
    expect(iso).toBe('2026-10-20T01:30:00+01:00');
    expect(new Date(iso!).toISOString()).toBe('2026-10-20T00:30:00.000Z');
    // 01:30 happens twice on 2026-10-25 (fall-back): either offset names a real 01:30 there.
    const twice = localToIsoWithOffset('2026-10-25T01:30', 'Europe/London')!;
    expect(isoToLocalInput(Date.parse(twice), 'Europe/London')).toBe('2026-10-25T01:30');
  });

  it('a wall time skipped by spring-forward gets an offset of one side of the change', () => {
    // 02:30 does not exist in Berlin on 2026-03-29.
    const iso = localToIsoWithOffset('2026-03-29T02:30', 'Europe/Berlin');
    expect(iso === '2026-03-29T02:30:00+01:00' || iso === '2026-03-29T02:30:00+02:00').toBe(true);
  });

  it('refuses what is not a datetime-local value', () => {
    expect(localToIsoWithOffset('', 'UTC')).toBeNull();
    expect(localToIsoWithOffset('2026-03-02', 'UTC')).toBeNull();
    expect(localToIsoWithOffset('2026-03-02T09:00Z', 'UTC')).toBeNull();
    expect(localToIsoWithOffset('tomorrow', 'UTC')).toBeNull();
  });

  it('zone offsets, and times shown in a zone and in UTC', () => {
    expect(zoneOffsetAt(Date.parse('2026-07-01T00:00:00Z'), 'America/Los_Angeles')).toBe(-420);
    expect(utcText('2026-03-02T08:00:00.000Z')).toBe('2026-03-02 08:00:00 UTC');
    expect(zonedText('2026-03-02T08:00:00.000Z', 'Europe/Berlin')).toBe('2026-03-02 09:00:00 GMT+1');
    expect(zonedText('2026-03-02T08:00:00.000Z', 'UTC')).toBe('2026-03-02 08:00:00 UTC');
    expect(isoToLocalInput(Date.parse('2026-03-02T08:00:59.000Z'), 'Europe/Berlin')).toBe('2026-03-02T09:00');
  });

  it('says how far away an instant is', () => {
    const now = Date.parse('2026-03-02T08:00:00Z');
    expect(relativeText('2026-03-02T08:00:30Z', now)).toBe('in 30 s');
    expect(relativeText('2026-03-02T07:55:00Z', now)).toBe('5 min ago');
    expect(relativeText('2026-03-02T11:00:00Z', now)).toBe('in 3 h');
    expect(relativeText('2026-03-12T08:00:00Z', now)).toBe('in 10 days');
  });
});
