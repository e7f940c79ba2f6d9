import { jsonDiff } from '@flagship/evaluator';
import { describe, expect, it } from 'vitest';
import { applyDiff, getAt, pointerTokens, reapply, removeAt, setAt } from './reapply.ts';

const config = () => ({
  enabled: false,
  offVariant: 'off',
  prerequisites: [] as unknown[],
  targets: [{ variant: 'on', values: ['u1'] }] as unknown[],
  rules: [
    { id: 'r1', conditions: [{ attribute: 'plan', op: 'in', values: ['pro'] }], serve: { variant: 'on' } },
    { id: 'r2', conditions: [{ attribute: 'country', op: 'in', values: ['DE'] }], serve: { variant: 'off' } },
  ] as unknown[],
  defaultRule: { variant: 'off' } as Record<string, unknown>,
});

describe('JSON pointers', () => {
  it('reads tokens with ~0 and ~1 escapes; "" and "/" are the document', () => {
    expect(pointerTokens('')).toEqual([]);
    expect(pointerTokens('/')).toEqual([]);
    expect(pointerTokens('/a~1b/c~0d/0')).toEqual(['a/b', 'c~d', '0']);
    expect(() => pointerTokens('rules/0')).toThrow(/not a JSON pointer/);
  });

  it('gets, sets and removes at pointers; array entries by index', () => {
    const doc = config();
    expect(getAt(doc, '/rules/1/serve/variant')).toBe('off');
    expect(getAt(doc, '/rules/7/serve')).toBeUndefined();
    setAt(doc, '/rules/1/serve/variant', 'on');
    expect(doc.rules[1]).toMatchObject({ serve: { variant: 'on' } });
    setAt(doc, '/defaultRule/split/0', { variant: 'on', weight: 50 });
    expect(doc.defaultRule.split).toEqual([{ variant: 'on', weight: 50 }]);
    setAt(doc, '/targets/5', { variant: 'off', values: ['u2'] });
    expect(doc.targets).toHaveLength(2); // past the end: appended, no holes
    removeAt(doc, '/rules/0');
    expect(doc.rules).toHaveLength(1);
    expect(doc.rules[0]).toMatchObject({ id: 'r2' });
    removeAt(doc, '/defaultRule/split');
    expect(doc.defaultRule).toEqual({ variant: 'off' });
    removeAt(doc, '/nothing/here'); // no-op
    expect(setAt(doc, '', 42)).toBe(42);
  });
});

describe('applyDiff', () => {
  it('turns base into draft when applied onto base itself', () => {
    const base = config();
    const draft = config();
    draft.enabled = true;
    draft.rules = [draft.rules[1]!];
    draft.defaultRule = {
      split: [
        { variant: 'on', weight: 30 },
        { variant: 'off', weight: 70 },
      ],
    };
    draft.prerequisites.push({ flag: 'other', variant: 'on' });
    expect(applyDiff(base, jsonDiff(base, draft))).toEqual(draft);
    expect(base).toEqual(config()); // not mutated
  });

  it('removes several trailing array elements, last first', () => {
    const base = { xs: [1, 2, 3, 4] };
    const draft = { xs: [1, 2] };
    expect(applyDiff(base, jsonDiff(base, draft))).toEqual({ xs: [1, 2] });
  });

  it('skips the "omitted" entry of a capped diff', () => {
    expect(
      applyDiff({ a: 1 }, [
        { path: '/a', old: 1, new: 2 },
        { path: '', omitted: 3 },
      ]),
    ).toEqual({ a: 2 });
  });
});

describe('reapply', () => {
  it("keeps others' changes elsewhere and applies mine on top", () => {
    const base = config();
    const draft = config();
    draft.enabled = true; // mine
    const current = config();
    (current.rules[1] as { serve: { variant: string } }).serve.variant = 'on'; // theirs
    current.targets = [];
    const r = reapply(base, draft, current);
    expect(r.mine).toEqual([{ path: '/enabled', old: false, new: true }]);
    expect(r.theirs.map((e) => e.path)).toEqual(['/rules/1/serve/variant', '/targets/0']);
    expect(r.overlapping).toEqual([]);
    expect(r.value.enabled).toBe(true);
    expect(r.value.targets).toEqual([]);
    expect(r.value.rules[1]).toMatchObject({ serve: { variant: 'on' } });
  });

  it('names the pointers both sides changed; my value wins there', () => {
    const base = config();
    const draft = config();
    draft.defaultRule = { variant: 'on' };
    const current = config();
    current.defaultRule = {
      split: [
        { variant: 'on', weight: 10 },
        { variant: 'off', weight: 90 },
      ],
    };
    const r = reapply(base, draft, current);
    expect(r.overlapping).toEqual(['/defaultRule/variant']);
    // Mine sets the variant; theirs' split stays (it is a different key): the API's validation says
    // whether the result is a valid serve, and the user sees it before saving again.
    expect(r.value.defaultRule).toEqual({
      variant: 'on',
      split: [
        { variant: 'on', weight: 10 },
        { variant: 'off', weight: 90 },
      ],
    });
  });
});
