import { describe, expect, it } from 'vitest';
import { findPrerequisiteCycles } from './index.ts';

function graph(edges: Record<string, string[]>) {
  return Object.fromEntries(
    Object.entries(edges).map(([k, to]) => [k, { prerequisites: to.map((flag) => ({ flag, variant: 'on' })) }]),
  );
}

describe('findPrerequisiteCycles', () => {
  it('finds nothing in a DAG and ignores missing flags', () => {
    expect(findPrerequisiteCycles(graph({ a: ['b', 'c'], b: ['c'], c: ['ghost'] }))).toEqual([]);
  });

  it('finds 2- and 3-cycles and self-references, smallest key first', () => {
    expect(findPrerequisiteCycles(graph({ b: ['a'], a: ['b'] }))).toEqual([['a', 'b']]);
    expect(findPrerequisiteCycles(graph({ c: ['a'], b: ['c'], a: ['b'], x: ['a'] }))).toEqual([['a', 'b', 'c']]);
    expect(findPrerequisiteCycles(graph({ s: ['s'] }))).toEqual([['s']]);
  });

  it('names every flag of a knot of cycles', () => {
    // a <-> b and a <-> c share a: both cycles are reported.
    expect(findPrerequisiteCycles(graph({ a: ['b', 'c'], b: ['a'], c: ['a'] }))).toEqual([
      ['a', 'b'],
      ['a', 'c'],
    ]);
  });

  it('handles a 30,000-long chain without recursion', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 30_000; i++) edges[`f${i}`] = [`f${(i + 1) % 30_000}`];
    const cycles = findPrerequisiteCycles(graph(edges));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(30_000);
  });
});
