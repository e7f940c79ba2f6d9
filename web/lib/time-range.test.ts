import { describe, expect, it } from 'vitest';
import { MAX_RANGE_SECONDS, readTimeRange, stepFor, TARGET_POINTS } from './time-range.ts';

const NOW = Date.parse('2026-12-02T14:07:13Z');

describe('readTimeRange', () => {
  it('defaults to the last hour, aligned to its step', () => {
    const r = readTimeRange({}, NOW);
    expect(r).toEqual({
      ok: true,
      range: { from: expect.any(Number), to: expect.any(Number), step: 15, preset: '1h' },
    });
    if (!r.ok) throw new Error('unreachable');
    expect(r.range.to - r.range.from).toBe(3600);
    expect(r.range.to % 15).toBe(0);
    expect(r.range.to * 1000).toBeGreaterThanOrEqual(NOW);
  });

  it('reads a preset and refuses an unknown one, naming the field', () => {
    const day = readTimeRange({ range: '24h' }, NOW);
    expect(day.ok && day.range.to - day.range.from).toBe(86_400);
    expect(readTimeRange({ range: '2h' }, NOW)).toEqual({
      ok: false,
      field: 'range',
      message: 'must be one of 15m, 1h, 6h, 24h, 7d',
    });
  });

  it('reads a custom range in UTC (datetime-local has no zone) or with an offset', () => {
    const r = readTimeRange({ from: '2026-12-02T13:00', to: '2026-12-02T15:30+01:00' }, NOW);
    expect(r).toEqual({
      ok: true,
      range: {
        from: Date.parse('2026-12-02T13:00Z') / 1000,
        to: Date.parse('2026-12-02T14:30Z') / 1000,
        step: 30,
        preset: undefined,
      },
    });
  });

  it('refuses what it cannot draw: no time, backwards, too long', () => {
    expect(readTimeRange({ from: 'yesterday' }, NOW)).toMatchObject({ ok: false, field: 'from' });
    expect(readTimeRange({ from: '2026-12-02T13:00', to: 'soon' }, NOW)).toMatchObject({ ok: false, field: 'to' });
    expect(readTimeRange({ from: '2026-12-02T13:00', to: '2026-12-02T12:00' }, NOW)).toEqual({
      ok: false,
      field: 'to',
      message: 'must be after from',
    });
    expect(readTimeRange({ from: '2026-01-01T00:00', to: '2026-12-01T00:00' }, NOW)).toMatchObject({
      ok: false,
      field: 'from',
    });
  });
});

describe('stepFor', () => {
  it('keeps every range within the target number of points', () => {
    for (const seconds of [60, 900, 3_600, 21_600, 86_400, 604_800, MAX_RANGE_SECONDS])
      expect(seconds / stepFor(seconds)).toBeLessThanOrEqual(TARGET_POINTS);
    expect(stepFor(900)).toBe(5);
  });
});
