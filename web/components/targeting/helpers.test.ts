import { describe, expect, it } from 'vitest';
import { fieldIdOf, parentPath, placeProblems, problemIdOf } from './field-ids.ts';
import { changeOperator, formatValues, parseValues, valueKindOf, valuesAreNumbers } from './operator-kinds.ts';
import {
  evenSplit,
  formatPercent,
  parsePercent,
  percentToWeight,
  splitIsComplete,
  splitTotal,
  weightToPercent,
} from './percent.ts';
import { moveItem, removeItem, replaceItem } from './reorder.ts';
import { setTargetKeys } from './targets.ts';
import { editorFieldPaths } from './editor-fields.ts';
import { OPERATORS } from '@flagship/evaluator';

describe('percent <-> weight', () => {
  it('converts in units of 0.001%', () => {
    expect(percentToWeight(30)).toBe(30_000);
    expect(percentToWeight(12.345)).toBe(12_345);
    expect(percentToWeight(0.0004)).toBe(0);
    expect(percentToWeight(NaN)).toBeNaN();
    expect(weightToPercent(70_000)).toBe(70);
    expect(weightToPercent(1)).toBe(0.001);
    expect(formatPercent(33_334)).toBe('33.334');
    expect(formatPercent(NaN)).toBe('');
  });
  it('parses what a person types', () => {
    expect(parsePercent('30')).toBe(30_000);
    expect(parsePercent(' 12,5 ')).toBe(12_500);
    expect(parsePercent('.5')).toBe(500);
    expect(parsePercent('')).toBeNaN();
    expect(parsePercent('3x')).toBeNaN();
  });
  it('adds splits up and checks them', () => {
    const split = [
      { variant: 'on', weight: 30_000 },
      { variant: 'off', weight: 70_000 },
    ];
    expect(splitTotal(split)).toBe(100_000);
    expect(splitIsComplete(split)).toBe(true);
    expect(splitIsComplete([{ variant: 'on', weight: 30_000 }])).toBe(false);
    expect(splitIsComplete([{ variant: 'on', weight: NaN }])).toBe(false);
    expect(splitIsComplete([])).toBe(false);
  });
  it('makes even splits that add up to 100%', () => {
    expect(evenSplit(['a', 'b'])).toEqual([
      { variant: 'a', weight: 50_000 },
      { variant: 'b', weight: 50_000 },
    ]);
    const three = evenSplit(['a', 'b', 'c']);
    expect(three.map((s) => s.weight)).toEqual([33_334, 33_333, 33_333]);
    expect(splitIsComplete(three)).toBe(true);
    expect(evenSplit([])).toEqual([]);
  });
});

describe('list edits', () => {
  it('moves, removes and replaces without touching the input', () => {
    const list = ['a', 'b', 'c'];
    expect(moveItem(list, 1, 0)).toEqual(['b', 'a', 'c']);
    expect(moveItem(list, 0, 2)).toEqual(['b', 'c', 'a']);
    expect(moveItem(list, 2, 3)).toEqual(['a', 'b', 'c']);
    expect(moveItem(list, 0, -1)).toEqual(['a', 'b', 'c']);
    expect(removeItem(list, 1)).toEqual(['a', 'c']);
    expect(replaceItem(list, 2, 'z')).toEqual(['a', 'b', 'z']);
    expect(list).toEqual(['a', 'b', 'c']);
  });
});

describe('operator value kinds', () => {
  it('names a kind for every operator', () => {
    for (const op of OPERATORS) expect(valueKindOf(op)).toBeTypeOf('string');
    expect(valueKindOf('inSegment')).toBe('segment');
    expect(valueKindOf('semverGte')).toBe('semver');
    expect(valueKindOf('before')).toBe('date');
    expect(valueKindOf('matches')).toBe('regex');
    expect(valueKindOf('gte')).toBe('number');
    expect(valueKindOf('in')).toBe('textOrNumber');
  });
  it('reads one value per line, as numbers where the operator takes them', () => {
    expect(parseValues('NL\n BE \n\n', 'textOrNumber')).toEqual(['NL', 'BE']);
    expect(parseValues('1\n2.5\nx', 'textOrNumber', true)).toEqual([1, 2.5, 'x']);
    expect(parseValues('1\n2', 'textOrNumber')).toEqual(['1', '2']);
    expect(parseValues('18\n-1e3\neighteen', 'number')).toEqual([18, -1000, 'eighteen']);
    expect(parseValues('2025-01-31\n1700000000000', 'date')).toEqual(['2025-01-31', 1_700_000_000_000]);
    expect(parseValues(' bot\n', 'text')).toEqual([' bot']);
    expect(parseValues('^a b$\r\n', 'regex')).toEqual(['^a b$']);
    expect(formatValues(['a', 1])).toBe('a\n1');
    expect(valuesAreNumbers([1, 2])).toBe(true);
    expect(valuesAreNumbers([1, '2'])).toBe(false);
    expect(valuesAreNumbers([])).toBe(false);
  });
  it('keeps values across operators of one family, drops them across segment operators', () => {
    expect(changeOperator({ attribute: 'age', op: 'in', values: ['18'] }, 'gte')).toEqual({
      attribute: 'age',
      op: 'gte',
      values: [18],
    });
    expect(changeOperator({ attribute: 'v', op: 'semverGt', values: ['1.0.0'] }, 'semverLt').values).toEqual(['1.0.0']);
    expect(changeOperator({ attribute: 'plan', op: 'in', values: ['pro'] }, 'inSegment')).toEqual({
      attribute: '',
      op: 'inSegment',
      values: [],
    });
    expect(changeOperator({ attribute: '', op: 'inSegment', values: ['beta'] }, 'in').values).toEqual([]);
  });
});

describe('field ids and problems', () => {
  it('derives stable ids from config paths', () => {
    expect(fieldIdOf('rules[0].conditions[1].op')).toBe('field-rules[0].conditions[1].op');
    expect(fieldIdOf('')).toBe('field-root');
    expect(fieldIdOf('x["a b"]')).toBe('field-x["a_b"]');
    expect(problemIdOf('bucketBy')).toBe('field-bucketBy-problem');
  });
  it('walks up paths', () => {
    expect(parentPath('rules[0].conditions[1].values[2]')).toBe('rules[0].conditions[1].values');
    expect(parentPath('rules[0].conditions[1].values')).toBe('rules[0].conditions[1]');
    expect(parentPath('rules[0]')).toBe('rules');
    expect(parentPath('rules')).toBe('');
    expect(parentPath('x["a.b"]')).toBe('x');
  });
  it('places a problem at its field or the nearest ancestor field, the rest at the top', () => {
    const fields = new Set(['rules[0].conditions[1].values', 'bucketBy', 'defaultRule.split']);
    const { byField, unplaced } = placeProblems(
      [
        { path: 'rules[0].conditions[1].values[2]', message: 'invalid semver' },
        { path: 'bucketBy', message: 'too long' },
        { path: 'defaultRule.split', message: 'weights must add up to 100000' },
        { path: 'failMode', message: 'unknown' },
        { path: '', message: 'unknown field "x"' },
      ],
      fields,
    );
    expect(byField.get('rules[0].conditions[1].values')?.map((p) => p.message)).toEqual(['invalid semver']);
    expect(byField.get('bucketBy')?.length).toBe(1);
    expect(byField.get('defaultRule.split')?.length).toBe(1);
    expect(unplaced.map((p) => p.path)).toEqual(['failMode', '']);
  });
});

describe('targets per variant', () => {
  const targets = [
    { variant: 'on', values: ['a'] },
    { variant: 'off', values: ['b'] },
    { variant: 'on', values: ['c'] },
  ];
  it('replaces a variant’s keys in place, merging duplicates, and drops or appends entries', () => {
    expect(setTargetKeys(targets, 'on', ['x', 'y'])).toEqual([
      { variant: 'on', values: ['x', 'y'] },
      { variant: 'off', values: ['b'] },
    ]);
    expect(setTargetKeys(targets, 'off', [])).toEqual([targets[0], targets[2]]);
    expect(setTargetKeys(targets, 'new', ['z'])).toEqual([...targets, { variant: 'new', values: ['z'] }]);
    expect(setTargetKeys(targets, 'new', [])).toEqual(targets);
  });
});

describe('the editor’s field paths', () => {
  it('names every field of the draft', () => {
    const paths = editorFieldPaths({
      enabled: true,
      offVariant: 'off',
      prerequisites: [{ flag: 'p', variant: 'on' }],
      targets: [
        { variant: 'on', values: ['a'] },
        { variant: 'on', values: ['b'] },
      ],
      rules: [
        {
          conditions: [
            { attribute: '', op: 'inSegment', values: ['beta'] },
            { attribute: 'plan', op: 'in', values: ['pro'] },
          ],
          serve: { split: [{ variant: 'on', weight: 100_000 }] },
        },
      ],
      defaultRule: { variant: 'off' },
    });
    for (const p of [
      'prerequisites[0].flag',
      'targets[0].values',
      'rules[0].conditions[0].values',
      'rules[0].conditions[1].attribute',
      'rules[0].serve.split[0].weight',
      'defaultRule.variant',
      'bucketBy',
    ])
      expect(paths.has(p), p).toBe(true);
    expect(paths.has('targets[1].values')).toBe(false);
    expect(paths.has('rules[0].conditions[0].attribute')).toBe(false);
    expect(paths.has('rules[0].serve.variant')).toBe(false);
  });
});
