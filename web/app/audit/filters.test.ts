import { describe, expect, it } from 'vitest';
import { apiQuery, pageHref, readCursor, readFilters, toIso, toLocalInput } from './filters.ts';

describe('audit filters', () => {
  it('reads the filters from the URL, dropping blanks and taking the first of repeated ones', () => {
    expect(readFilters({ project: ' shop ', flag: '', action: ['kill', 'update'], cursor: '9', other: 'x' })).toEqual({
      project: 'shop',
      action: 'kill',
    });
    expect(readCursor({ cursor: '12' })).toBe('12');
    expect(readCursor({ cursor: '' })).toBeUndefined();
  });

  it('converts datetime-local values (UTC) to ISO, with inclusive to-bounds', () => {
    expect(toIso('2025-12-02T14:05', 'from')).toBe('2025-12-02T14:05:00.000Z');
    expect(toIso('2025-12-02T14:05', 'to')).toBe('2025-12-02T14:05:59.999Z');
    expect(toIso('2025-12-02T14:05:07', 'to')).toBe('2025-12-02T14:05:07.999Z');
    expect(toIso('2025-12-02T14:05:07.250', 'to')).toBe('2025-12-02T14:05:07.250Z');
    // Not a datetime-local value: sent as typed, for the API to accept or refuse.
    expect(toIso('2025-12-02T14:05:07+02:00', 'from')).toBe('2025-12-02T14:05:07+02:00');
    expect(toIso('yesterday', 'from')).toBe('yesterday');
  });

  it('shows a filter time in the datetime-local input, or nothing when it is not one', () => {
    expect(toLocalInput('2025-12-02T14:05')).toBe('2025-12-02T14:05');
    expect(toLocalInput('2025-12-02T14:05:07.000Z')).toBe('2025-12-02T14:05:07');
    expect(toLocalInput('2025-12-02T16:05:07+02:00')).toBe('2025-12-02T14:05:07');
    expect(toLocalInput('yesterday')).toBe('');
    expect(toLocalInput(undefined)).toBe('');
  });

  it('builds the API query and the page links, keeping the filters with the cursor', () => {
    const f = readFilters({ project: 'shop', environment: 'shop.prod', from: '2025-12-02T14:05', action: 'kill' });
    expect(apiQuery(f, '40').toString()).toBe(
      'project=shop&environment=shop.prod&action=kill&from=2025-12-02T14%3A05%3A00.000Z&cursor=40&limit=50',
    );
    expect(pageHref(f, '40')).toBe(
      '/audit?project=shop&environment=shop.prod&action=kill&from=2025-12-02T14%3A05&cursor=40',
    );
    expect(pageHref({})).toBe('/audit');
  });
});
