import { describe, expect, it } from 'vitest';
import { jsonDiff } from './json-diff.ts';

describe('jsonDiff', () => {
  it('lists changed, added and removed paths as JSON pointers', () => {
    expect(jsonDiff({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 2, b: { c: [1, 3, 4] }, e: true })).toEqual([
      { path: '/a', old: 1, new: 2 },
      { path: '/b/c/1', old: 2, new: 3 },
      { path: '/b/c/2', new: 4 },
      { path: '/d', old: 'x' },
      { path: '/e', new: true },
    ]);
  });
  it('is empty for equal documents and whole for creation', () => {
    expect(jsonDiff({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
    expect(jsonDiff(null, { a: 1 })).toEqual([{ path: '/', new: { a: 1 } }]);
  });
  it('escapes ~ and / in keys', () => {
    expect(jsonDiff({ 'a/b~': 1 }, { 'a/b~': 2 })).toEqual([{ path: '/a~1b~0', old: 1, new: 2 }]);
  });
});
