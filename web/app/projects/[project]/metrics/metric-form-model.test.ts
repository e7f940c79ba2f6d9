import { describe, expect, it } from 'vitest';
import { bodyOf, draftOf, fieldId, flagList, flagsText, problemsByField } from './metric-form-model.ts';

describe('metric form model', () => {
  it('sends only the templates of the chosen kind and leaves empty optional fields out', () => {
    const d = { ...draftOf(undefined), name: ' Conversion ', numerator: 'a{{variant}}', denominator: 'b{{variant}}' };
    d.query = 'left over';
    expect(bodyOf(d)).toEqual({
      name: 'Conversion',
      kind: 'ratio',
      better: 'higher',
      numerator: 'a{{variant}}',
      denominator: 'b{{variant}}',
    });
    expect(bodyOf({ ...d, kind: 'quantile', better: 'lower', unit: ' ms ', description: ' p95 ' })).toEqual({
      name: 'Conversion',
      description: 'p95',
      kind: 'quantile',
      better: 'lower',
      unit: 'ms',
      query: 'left over',
    });
  });

  it('reads flags as a comma or line list', () => {
    expect(flagList('checkout, search\n\n  cart ,')).toEqual(['checkout', 'search', 'cart']);
    expect(bodyOf({ ...draftOf(undefined), flags: 'a,\nb' }).flags).toEqual(['a', 'b']);
    expect(flagsText(undefined)).toBe('every flag');
    expect(flagsText([])).toBe('every flag');
    expect(flagsText(['a', 'b'])).toBe('a, b');
  });

  it('round-trips a definition through the draft', () => {
    const m = {
      key: 'latency',
      name: 'p95',
      kind: 'quantile' as const,
      better: 'lower' as const,
      unit: 'ms',
      flags: ['checkout', 'search'],
      source: 'project',
      query: 'q{{variant}}',
    };
    const d = draftOf(m);
    expect(d.flags).toBe('checkout, search');
    const { key: _k, source: _s, ...body } = m;
    expect(bodyOf(d)).toEqual(body);
  });

  it('puts problems at the fields their paths name, the rest on the form', () => {
    const by = problemsByField([
      { path: 'numerator', message: 'unknown placeholder {{team}}' },
      { path: 'flags[1]', message: 'must be a flag key' },
      { path: 'key', message: 'must match' },
      { path: '', message: 'whole body' },
      { path: 'other', message: 'unknown' },
    ]);
    expect(by.get(fieldId.numerator)).toEqual(['numerator: unknown placeholder {{team}}']);
    expect(by.get(fieldId.flags)).toEqual(['flags[1]: must be a flag key']);
    expect(by.get(fieldId.key)).toEqual(['key: must match']);
    expect(by.get('')).toEqual(['whole body', 'other: unknown']);
  });
});
