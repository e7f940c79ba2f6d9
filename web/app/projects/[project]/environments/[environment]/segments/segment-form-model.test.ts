import { describe, expect, it } from 'vitest';
import {
  bodyOf,
  draftOf,
  fieldOfPath,
  problemsByField,
  SEGMENT_RULE_OPERATORS,
  valuesOf,
} from './segment-form-model.ts';

describe('segment form model', () => {
  it('round-trips a segment through the draft; lines are trimmed, blank ones dropped', () => {
    const segment = {
      key: 'beta',
      description: 'Beta',
      version: 3,
      included: ['u1', 'u2'],
      excluded: [],
      rules: [{ conditions: [{ attribute: 'age', op: 'gte' as const, values: [18, 21] }] }],
    };
    const draft = draftOf(segment);
    expect(draft).toEqual({
      key: 'beta',
      description: 'Beta',
      included: 'u1\nu2',
      excluded: '',
      rules: [{ conditions: [{ attribute: 'age', op: 'gte', values: '18\n21' }] }],
    });
    expect(bodyOf({ ...draft, included: ' u1 \r\n\nu2\n' })).toEqual({
      description: 'Beta',
      included: ['u1', 'u2'],
      excluded: [],
      rules: segment.rules,
    });
    expect(bodyOf({ ...draft, description: '  ' })).not.toHaveProperty('description');
  });

  it('numbers only for the numeric comparisons', () => {
    expect(valuesOf('lt', '1\n2.5\nx')).toEqual([1, 2.5, 'x']);
    expect(valuesOf('in', '1\n2')).toEqual(['1', '2']);
  });

  it('offers no segment operators in segment rules', () => {
    expect(SEGMENT_RULE_OPERATORS).not.toContain('inSegment');
    expect(SEGMENT_RULE_OPERATORS).not.toContain('notInSegment');
    expect(SEGMENT_RULE_OPERATORS).toContain('matches');
  });

  it('maps problem paths (with or without the change request prefix) to fields', () => {
    expect(fieldOfPath('included[0]')).toBe('seg-included');
    expect(fieldOfPath('segment.excluded')).toBe('seg-excluded');
    expect(fieldOfPath('key')).toBe('seg-key');
    expect(fieldOfPath('segmentKey')).toBe('seg-key');
    expect(fieldOfPath('rules[0].conditions[1].op')).toBe('seg-rule-0-cond-1-op');
    expect(fieldOfPath('segment.rules[2].conditions[0].values[3]')).toBe('seg-rule-2-cond-0-values');
    expect(fieldOfPath('rules[1].conditions[0]')).toBe('seg-rule-1-cond-0-attribute');
    expect(fieldOfPath('rules[1]')).toBe('seg-rule-1');
    expect(fieldOfPath('')).toBeUndefined();
    const grouped = problemsByField([
      { path: 'included[0]', message: 'too long' },
      { path: 'included[1]', message: 'duplicate' },
      { path: '', message: 'bad body' },
    ]);
    expect(grouped.get('seg-included')).toEqual(['included[0]: too long', 'included[1]: duplicate']);
    expect(grouped.get('')).toEqual(['bad body']);
  });
});
