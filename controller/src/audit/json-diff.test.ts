import { describe, expect, it } from 'vitest';
import { AUDIT_DIFF_LIMIT, auditRecord } from './audit-record.ts';
import { jsonDiff } from '@flagship/evaluator';

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
  it('diffs a change of 200,000 entries without throwing, entry by entry', () => {
    const n = 200_000;
    const before = { targets: [{ variant: 'on', values: Array.from({ length: n }, (_, i) => `user-${i}`) }] };
    const after = { targets: [{ variant: 'on', values: Array.from({ length: n }, (_, i) => `member-${i}`) }] };
    const diff = jsonDiff(before, after);
    expect(diff).toHaveLength(n);
    expect(diff[0]).toEqual({ path: '/targets/0/values/0', old: 'user-0', new: 'member-0' });
    expect(diff[n - 1]).toEqual({ path: `/targets/0/values/${n - 1}`, old: `user-${n - 1}`, new: `member-${n - 1}` });
    const wide = jsonDiff({}, Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
    expect(wide).toHaveLength(n);
  });
  it('with a limit lists that many entries and counts the rest in a last entry', () => {
    expect(jsonDiff([1, 2, 3, 4], [5, 6, 7, 8], 2)).toEqual([
      { path: '/0', old: 1, new: 5 },
      { path: '/1', old: 2, new: 6 },
      { path: '', omitted: 2 },
    ]);
    expect(jsonDiff([1, 2], [5, 6], 2)).toEqual([
      { path: '/0', old: 1, new: 5 },
      { path: '/1', old: 2, new: 6 },
    ]);
  });
  it('an audit row of a 200,000-entry change keeps the first entries, the count of the rest, and both documents whole', () => {
    const before = { values: Array.from({ length: 200_000 }, (_, i) => i) };
    const after = { values: before.values.map((v) => v + 1) };
    const row = auditRecord(
      { actor: { keyId: 'k', name: 'n', owner: 'n', role: 'admin', environments: null }, requestId: 'r' },
      'now',
      {
        action: 'update',
        entityType: 'segment',
        entityKey: 's',
        before,
        after,
      },
    );
    expect(row.diff).toHaveLength(AUDIT_DIFF_LIMIT + 1);
    expect(row.diff[AUDIT_DIFF_LIMIT]).toEqual({ path: '', omitted: 200_000 - AUDIT_DIFF_LIMIT });
    expect(row.before).toBe(before);
    expect(row.after).toBe(after);
  });
});
